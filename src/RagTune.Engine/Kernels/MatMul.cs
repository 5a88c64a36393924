// y = x·Wᵀ (+ b): the projection kernel behind every Linear layer. AVX2+FMA over four weight rows (× two tokens) at a time.
// Shapes: x [T, In] (T token rows), W [Out, In] (row-major, the layout of a Hugging Face nn.Linear weight), b [Out], y [T, Out].
// This is the decode (few rows) kernel: it streams each weight row once, reused across all T tokens (one token: one row
// after another, a single sequential stream); ForwardParallel splits the rows across the worker pool. Many-row products go to the packed GEMM (Gemm.cs).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static class MatMul
{
    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] + b[o]; <paramref name="bias"/> may be empty. Single-threaded.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim)
    {
        CheckShapes(x, w, bias, y, rows, inDim, outDim);
        fixed (float* px = x, pw = w, pb = bias, py = y)
            ForwardRange(px, pw, pb, py, rows, inDim, outDim, 0, outDim);
    }

    /// <summary>As <see cref="Forward"/>, with the output rows of W split across the workers of <paramref name="pool"/>
    /// (the shared pool when null): the decode path, where each worker streams its own share of the weights.</summary>
    public static unsafe void ForwardParallel(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim, WorkerPool? pool = null)
    {
        CheckShapes(x, w, bias, y, rows, inDim, outDim);
        fixed (float* px = x, pw = w, pb = bias, py = y)
        {
            if ((long)rows * inDim * outDim < 1 << 16)
            {
                ForwardRange(px, pw, pb, py, rows, inDim, outDim, 0, outDim);
                return;
            }
            var job = Job.ForThisThread;
            job.X = px; job.W = pw; job.B = pb; job.Y = py;
            (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
            (pool ?? WorkerPool.Shared).Run(job);
            job.X = job.W = job.B = job.Y = null;
        }
    }

    private sealed unsafe class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public float* X, W, B, Y;
        public int Rows, In, Out;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: 4);
            if (o0 < o1) ForwardRange(X, W, B, Y, Rows, In, Out, o0, o1);
        }
    }

    /// <summary>Output columns [o0, o1) of y = x·Wᵀ + b.</summary>
    private static unsafe void ForwardRange(float* px, float* pw, float* pb, float* py, int rows, int inDim, int outDim, int o0, int o1)
    {
        if (rows == 1)
        {
            Rows(px, pw, pb, inDim, o0, o1, py + o0);
            return;
        }
        int o = o0;
        for (; o + 4 <= o1; o += 4)
        {
            float* w0 = pw + (long)o * inDim;
            int t = 0;
            // Two tokens at once: each weight vector loaded feeds two FMAs (8 FMAs per 6 loads instead of 4 per 5).
            for (; t + 2 <= rows; t += 2)
            {
                Dot2x4(px + (long)t * inDim, w0, inDim, out var a, out var b);
                if (pb != null)
                {
                    var bias4 = Vector128.Create(pb[o], pb[o + 1], pb[o + 2], pb[o + 3]);
                    a += bias4;
                    b += bias4;
                }
                a.Store(py + (long)t * outDim + o);
                b.Store(py + (long)(t + 1) * outDim + o);
            }
            for (; t < rows; t++)
            {
                Dot4(px + (long)t * inDim, w0, inDim, out float s0, out float s1, out float s2, out float s3);
                float* yr = py + (long)t * outDim + o;
                if (pb != null) { s0 += pb[o]; s1 += pb[o + 1]; s2 += pb[o + 2]; s3 += pb[o + 3]; }
                yr[0] = s0; yr[1] = s1; yr[2] = s2; yr[3] = s3;
            }
        }
        for (; o < o1; o++)
        {
            float* wr = pw + (long)o * inDim;
            for (int t = 0; t < rows; t++)
                py[(long)t * outDim + o] = Dot(px + (long)t * inDim, wr, inDim) + (pb != null ? pb[o] : 0f);
        }
    }

    /// <summary>dst[o − o0] = W[o]·x + b[o] for o in [o0, o1): one x row, one weight row after another (a single
    /// sequential stream, which the hardware prefetcher serves best from DRAM; see MatVecBF16.Rows).</summary>
    internal static unsafe void Rows(float* x, float* w, float* bias, int n, int o0, int o1, float* dst)
    {
        float* end = w + (long)o1 * n;
        for (int o = o0; o < o1; o++)
        {
            StreamPrefetch.Ahead(w + (long)o * n, n * sizeof(float), end);
            dst[o - o0] = Dot(x, w + (long)o * n, n) + (bias != null ? bias[o] : 0f);
        }
    }

    /// <summary>Matrix-vector product for decoding one token: y [Out] = W [Out, In] · x [In] + b.</summary>
    public static void MatVec(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y, int inDim, int outDim)
        => Forward(x, w, bias, y, 1, inDim, outDim);

    /// <summary>The oracle: three plain loops, accumulated in double.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim)
    {
        CheckShapes(x, w, bias, y, rows, inDim, outDim);
        for (int t = 0; t < rows; t++)
            for (int o = 0; o < outDim; o++)
            {
                double s = bias.IsEmpty ? 0 : bias[o];
                for (int i = 0; i < inDim; i++)
                    s += (double)x[t * inDim + i] * w[o * inDim + i];
                y[t * outDim + o] = (float)s;
            }
    }

    private static void CheckShapes(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim)
    {
        if (x.Length < (long)rows * inDim || w.Length < (long)outDim * inDim || y.Length < (long)rows * outDim
            || (!bias.IsEmpty && bias.Length < outDim))
            throw new ArgumentException(
                $"MatMul shapes: x {x.Length} (need {rows}x{inDim}), W {w.Length} (need {outDim}x{inDim}), b {bias.Length}, y {y.Length} (need {rows}x{outDim})");
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Dot4(float* x, float* w0, int n, out float s0, out float s1, out float s2, out float s3)
    {
        float* w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        int i = 0;
        s0 = s1 = s2 = s3 = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 8 <= n; i += 8)
            {
                var xv = Vector256.Load(x + i);
                a0 = MulAdd(Vector256.Load(w0 + i), xv, a0);
                a1 = MulAdd(Vector256.Load(w1 + i), xv, a1);
                a2 = MulAdd(Vector256.Load(w2 + i), xv, a2);
                a3 = MulAdd(Vector256.Load(w3 + i), xv, a3);
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        for (; i < n; i++)
        {
            float xi = x[i];
            s0 += w0[i] * xi; s1 += w1[i] * xi; s2 += w2[i] * xi; s3 += w3[i] * xi;
        }
    }

    /// <summary>Four weight rows against two consecutive x rows: a = W[0..3]·x0, b = W[0..3]·x1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Dot2x4(float* x0, float* w0, int n, out Vector128<float> a, out Vector128<float> b)
    {
        float* x1 = x0 + n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n;
        int i = 0;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> p0 = Vector256<float>.Zero, p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
            for (; i + 8 <= n; i += 8)
            {
                var u = Vector256.Load(x0 + i);
                var v = Vector256.Load(x1 + i);
                var r = Vector256.Load(w0 + i);
                p0 = MulAdd(r, u, p0); q0 = MulAdd(r, v, q0);
                r = Vector256.Load(w1 + i);
                p1 = MulAdd(r, u, p1); q1 = MulAdd(r, v, q1);
                r = Vector256.Load(w2 + i);
                p2 = MulAdd(r, u, p2); q2 = MulAdd(r, v, q2);
                r = Vector256.Load(w3 + i);
                p3 = MulAdd(r, u, p3); q3 = MulAdd(r, v, q3);
            }
            a0 = Vector256.Sum(p0); a1 = Vector256.Sum(p1); a2 = Vector256.Sum(p2); a3 = Vector256.Sum(p3);
            b0 = Vector256.Sum(q0); b1 = Vector256.Sum(q1); b2 = Vector256.Sum(q2); b3 = Vector256.Sum(q3);
        }
        for (; i < n; i++)
        {
            float u = x0[i], v = x1[i];
            a0 += w0[i] * u; a1 += w1[i] * u; a2 += w2[i] * u; a3 += w3[i] * u;
            b0 += w0[i] * v; b1 += w1[i] * v; b2 += w2[i] * v; b3 += w3[i] * v;
        }
        a = Vector128.Create(a0, a1, a2, a3);
        b = Vector128.Create(b0, b1, b2, b3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe float Dot(float* a, float* b, int n)
    {
        int i = 0;
        float s = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
            for (; i + 16 <= n; i += 16)
            {
                acc0 = MulAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
                acc1 = MulAdd(Vector256.Load(a + i + 8), Vector256.Load(b + i + 8), acc1);
            }
            for (; i + 8 <= n; i += 8)
                acc0 = MulAdd(Vector256.Load(a + i), Vector256.Load(b + i), acc0);
            s = Vector256.Sum(acc0 + acc1);
        }
        for (; i < n; i++)
            s += a[i] * b[i];
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> MulAdd(Vector256<float> a, Vector256<float> b, Vector256<float> c)
        => Fma.IsSupported ? Fma.MultiplyAdd(a, b, c) : a * b + c;
}
