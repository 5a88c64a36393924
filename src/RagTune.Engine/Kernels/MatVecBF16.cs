// y = x·Wᵀ (+ b) for decoding with W [Out, In] kept as bfloat16: half the bytes of float32 to stream, widened to
// float32 in registers. Widening is one vpunpck{l,h}wd against zero per 8 weights (a bf16 is the top half of a float32);
// the unpack works within 128-bit halves, so x is permuted once per call to the same order instead of the weights.
// No 512-bit path: one that unpacked 32 weights per zmm (x permuted per 32) was measured side by side against this one
// (bench/engine `wide matvec`, one worker, CPU time) and was slower in two runs of three: 0.88× at 4864×896 (L3) and
// 0.57× at 151936×896 (DRAM), 1.25× in the third; decode streams from DRAM, so it was dropped (bench/RESULTS.md).
// (AVX512_BF16's vdpbf16ps would multiply bf16 pairs directly, but .NET 10 exposes no AVX512_BF16 intrinsics.)
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class MatVecBF16
{
    /// <summary>Elements per step of the unpack kernel (one 32-byte load of bf16 per row).</summary>
    internal const int Step = 16;

    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] + b[o] for t &lt; rows; W [Out, In] as bf16 bits. Output rows split
    /// across the pool. Allocates only on a thread's first call with a new largest In (scratch for permuted x).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim, WorkerPool? pool = null)
        => Run(x, w, bias, y, rows, inDim, outDim, pool, shiftWiden: false);

    /// <summary>The previous kernel (vpmovzxwd + shift per 8 weights, x unpermuted), kept as a second oracle and for
    /// the A/B micro-benchmark (bench/engine `matvec`).</summary>
    public static void ForwardShiftWiden(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim, WorkerPool? pool = null)
        => Run(x, w, bias, y, rows, inDim, outDim, pool, shiftWiden: true);

    private static void Run(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim, WorkerPool? pool, bool shiftWiden)
    {
        CheckShapes(x, w, bias, y, rows, inDim, outDim);
        var job = Job.ForThisThread;
        if (job.Permuted.Length < rows * inDim) job.Permuted = GC.AllocateArray<float>(rows * inDim, pinned: true);
        fixed (float* px = x, pb = bias, py = y, pp = job.Permuted)
        fixed (ushort* pw = w)
        {
            for (int t = 0; t < rows; t++) PermuteInput(px + (long)t * inDim, inDim, pp + (long)t * inDim);
            job.X = px; job.XP = pp; job.W = pw; job.B = pb; job.Y = py;
            (job.Rows, job.In, job.Out, job.ShiftWiden) = (rows, inDim, outDim, shiftWiden);
            if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
            job.X = job.XP = job.B = job.Y = null;
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

    /// <summary>xp = x in the order the unpack kernel meets the weights: per 16 values, [0..3, 8..11, 4..7, 12..15]
    /// (unpack-low yields weights 0–3 and 8–11, unpack-high 4–7 and 12–15). A tail shorter than 16 is copied as is.</summary>
    internal static void PermuteInput(float* x, int n, float* xp)
    {
        int i = 0;
        for (; i + Step <= n; i += Step)
        {
            Vector128.Load(x + i).Store(xp + i);
            Vector128.Load(x + i + 8).Store(xp + i + 4);
            Vector128.Load(x + i + 4).Store(xp + i + 8);
            Vector128.Load(x + i + 12).Store(xp + i + 12);
        }
        for (; i < n; i++) xp[i] = x[i];
    }

    /// <summary>dst[o − o0] = W[o]·x + b[o] for o in [o0, o1): x as given and permuted by <see cref="PermuteInput"/>.
    /// One row after another: a single sequential stream is what the hardware prefetcher serves best from DRAM
    /// (measured: 2× the GB/s of four interleaved rows, whose 1.8 KB streams end before the prefetcher has ramped up;
    /// x is re-read from L1 for every row, which costs nothing next to the weights).</summary>
    internal static void Rows(float* x, float* xp, ushort* w, float* bias, int n, int o0, int o1, float* dst)
    {
        ushort* end = w + (long)o1 * n;
        for (int o = o0; o < o1; o++)
        {
            StreamPrefetch.Ahead(w + (long)o * n, n * sizeof(ushort), end);
            dst[o - o0] = Dot1(x, xp, w + (long)o * n, n) + (bias != null ? bias[o] : 0f);
        }
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public float[] Permuted = [];
        public float* X, XP, B, Y;
        public ushort* W;
        public int Rows, In, Out;
        public bool ShiftWiden;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: 4);
            for (int t = 0; t < Rows; t++)
            {
                float* x = X + (long)t * In, y = Y + (long)t * Out;
                if (!ShiftWiden)
                {
                    Rows(x, XP + (long)t * In, W, B, In, o0, o1, y + o0);
                    continue;
                }
                int o = o0;
                for (; o + 4 <= o1; o += 4)
                {
                    Dot4Shift(x, W + (long)o * In, In, y + o);
                    if (B != null) { y[o] += B[o]; y[o + 1] += B[o + 1]; y[o + 2] += B[o + 2]; y[o + 3] += B[o + 3]; }
                }
                for (; o < o1; o++) y[o] = ScalarDot(x, W + (long)o * In, 0, In) + (B != null ? B[o] : 0f);
            }
        }
    }

    /// <summary>One row: 32 values per step into four accumulators (two FMA chains would cap a core below the bandwidth).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot1(float* x, float* xp, ushort* w, int n)
    {
        int i = 0;
        float s = 0;
        if (Avx2.IsSupported)
        {
            var zero = Vector256<ushort>.Zero;
            Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
            for (; i + 2 * Step <= n; i += 2 * Step)
            {
                var r = Avx.LoadVector256(w + i);
                a0 = MatMul.MulAdd(Avx2.UnpackLow(zero, r).AsSingle(), Vector256.Load(xp + i), a0);
                a1 = MatMul.MulAdd(Avx2.UnpackHigh(zero, r).AsSingle(), Vector256.Load(xp + i + 8), a1);
                r = Avx.LoadVector256(w + i + Step);
                a2 = MatMul.MulAdd(Avx2.UnpackLow(zero, r).AsSingle(), Vector256.Load(xp + i + Step), a2);
                a3 = MatMul.MulAdd(Avx2.UnpackHigh(zero, r).AsSingle(), Vector256.Load(xp + i + Step + 8), a3);
            }
            for (; i + Step <= n; i += Step)
            {
                var r = Avx.LoadVector256(w + i);
                a0 = MatMul.MulAdd(Avx2.UnpackLow(zero, r).AsSingle(), Vector256.Load(xp + i), a0);
                a1 = MatMul.MulAdd(Avx2.UnpackHigh(zero, r).AsSingle(), Vector256.Load(xp + i + 8), a1);
            }
            s = Vector256.Sum((a0 + a1) + (a2 + a3));
        }
        return s + ScalarDot(x, w, i, n);
    }

    private static float ScalarDot(float* x, ushort* w, int from, int n)
    {
        float s = 0;
        for (int i = from; i < n; i++) s += x[i] * BitConverter.Int32BitsToSingle(w[i] << 16);
        return s;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4Shift(float* x, ushort* w0, int n, float* y)
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
                a0 = MatMul.MulAdd(WidenShift(w0 + i), xv, a0);
                a1 = MatMul.MulAdd(WidenShift(w1 + i), xv, a1);
                a2 = MatMul.MulAdd(WidenShift(w2 + i), xv, a2);
                a3 = MatMul.MulAdd(WidenShift(w3 + i), xv, a3);
            }
            s0 = Vector256.Sum(a0); s1 = Vector256.Sum(a1); s2 = Vector256.Sum(a2); s3 = Vector256.Sum(a3);
        }
        y[0] = s0 + ScalarDot(x, w0, i, n);
        y[1] = s1 + ScalarDot(x, w1, i, n);
        y[2] = s2 + ScalarDot(x, w2, i, n);
        y[3] = s3 + ScalarDot(x, w3, i, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> WidenShift(ushort* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();
}
