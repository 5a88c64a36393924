// y = x·Wᵀ (+ b) for decoding with W [Out, In] kept as bfloat16: half the bytes of float32 to stream, widened to
// float32 in registers (a bf16 is the top 16 bits of a float32, so widening is a zero-extend and a shift).
// Four weight rows at a time, output rows split across the worker pool.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class MatVecBF16
{
    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] + b[o] for t &lt; rows; W [Out, In] as bf16 bits.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim, WorkerPool? pool = null)
    {
        CheckShapes(x, w, bias, y, rows, inDim, outDim);
        fixed (float* px = x, pb = bias, py = y)
        fixed (ushort* pw = w)
        {
            var job = Job.ForThisThread;
            job.X = px; job.W = pw; job.B = pb; job.Y = py;
            (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
            if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
            job.X = job.B = job.Y = null;
            job.W = null;
        }
    }

    /// <summary>The oracle: widen each weight exactly, accumulate in double.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim)
    {
        CheckShapes(x, w, bias, y, rows, inDim, outDim);
        for (int t = 0; t < rows; t++)
            for (int o = 0; o < outDim; o++)
            {
                double s = bias.IsEmpty ? 0 : bias[o];
                for (int i = 0; i < inDim; i++)
                    s += (double)x[t * inDim + i] * BitConverter.Int32BitsToSingle(w[o * inDim + i] << 16);
                y[t * outDim + o] = (float)s;
            }
    }

    private static void CheckShapes(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim)
    {
        if (x.Length < (long)rows * inDim || w.Length < (long)outDim * inDim || y.Length < (long)rows * outDim
            || (!bias.IsEmpty && bias.Length < outDim))
            throw new ArgumentException(
                $"MatVecBF16 shapes: x {x.Length} (need {rows}x{inDim}), W {w.Length} (need {outDim}x{inDim}), b {bias.Length}, y {y.Length} (need {rows}x{outDim})");
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public float* X, B, Y;
        public ushort* W;
        public int Rows, In, Out;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: 4);
            for (int t = 0; t < Rows; t++)
            {
                float* x = X + (long)t * In, y = Y + (long)t * Out;
                int o = o0;
                for (; o + 4 <= o1; o += 4)
                {
                    Dot4(x, W + (long)o * In, In, y + o);
                    if (B != null) { y[o] += B[o]; y[o + 1] += B[o + 1]; y[o + 2] += B[o + 2]; y[o + 3] += B[o + 3]; }
                }
                for (; o < o1; o++)
                {
                    float s = B != null ? B[o] : 0f;
                    ushort* wr = W + (long)o * In;
                    for (int i = 0; i < In; i++) s += x[i] * BitConverter.Int32BitsToSingle(wr[i] << 16);
                    y[o] = s;
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4(float* x, ushort* w0, int n, float* y)
    {
        ushort* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        int i = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (Avx2.IsSupported)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 8 <= n; i += 8)
            {
                var xv = Vector256.Load(x + i);
                a0 = MatMul.MulAdd(Gemm.Widen(w0 + i), xv, a0);
                a1 = MatMul.MulAdd(Gemm.Widen(w1 + i), xv, a1);
                a2 = MatMul.MulAdd(Gemm.Widen(w2 + i), xv, a2);
                a3 = MatMul.MulAdd(Gemm.Widen(w3 + i), xv, a3);
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        for (; i < n; i++)
        {
            float xi = x[i];
            s0 += BitConverter.Int32BitsToSingle(w0[i] << 16) * xi;
            s1 += BitConverter.Int32BitsToSingle(w1[i] << 16) * xi;
            s2 += BitConverter.Int32BitsToSingle(w2[i] << 16) * xi;
            s3 += BitConverter.Int32BitsToSingle(w3[i] << 16) * xi;
        }
        y[0] = s0; y[1] = s1; y[2] = s2; y[3] = s3;
    }
}
