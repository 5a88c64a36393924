// y[t] = W·q(x[t]) + b for a few activation rows at once with W in Q8 blocks (Q8.cs) — the decode step of a few streams
// (continuous batching). Each x row is quantised per block of 32 like Q8.Forward's; then each weight block is loaded
// once and dotted with the same block of every row: sign(w, x_r) moves x's sign onto w, and |x_r|·that is summed into
// int32 lanes — by vpdpbusd (AVX-VNNI, one instruction) on the wide path where the CPU has it, else vpmaddubsw +
// vpmaddwd (AVX2; exact either way: 2·127·127 < 32768 per pair) — then scaled by s_x·s_w per block in float32. A tile
// is 2 outputs × 4 rows (rows past the last alias it); 5–8 rows run as two groups of 4 per tile, the second finding the
// tile's two weight rows in L1 (one pass of 8 rows with 16 accumulators measured slower). 256 bits wide: .NET 10
// exposes vpdpbusd only on xmm/ymm (AvxVnni; the zmm form has no API). A zmm variant without VNNI (two blocks per
// register, vpmaddubsw + vpmaddwd, x's sign as a blend with the pre-negated w) measured slower than these ymm VNNI tiles
// at 4 and 8 rows, so there is none. The next tile's weight rows are prefetched, as in MatVecBatch.
// Measured against the int8 GEMM (one thread, per CPU second, the Qwen2.5-0.5B projections, bench/engine `rows`):
// 4 rows 52 ms a step against the GEMM's 72, 8 rows 91 against 111; at 2 rows the matrix-vector kernel (Q8.Forward)
// stays faster (45 against 51), so MatVecBatch takes this kernel from 3 rows. The result equals Q8.ForwardNaive up to
// float32 summation order (the tests' oracle).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class Q8Batch
{
    /// <summary>Activation rows one call takes at most.</summary>
    public const int MaxRows = MatVecBatch.MaxRows;

    /// <summary>The fewest rows at which the engine takes this kernel (MatVecBatch.Multiply): at 2 rows two passes of
    /// the matrix-vector kernel measured faster than one 4-row tile pass with two rows aliased.</summary>
    public const int MinRows = 3;

    /// <summary>True where the kernel runs (AVX2; elsewhere Q8.Forward is the path).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>y[t, o] = Σ_b s_x[t, b]·s_w[o, b]·Σ_i q(x)[t, i]·W[o, i] + b[o] for t &lt; rows ≤ <see cref="MaxRows"/>,
    /// W [Out, In] as Q8 values [Out·In] and scales [Out·In/32], In a multiple of 32. Output rows split across the pool.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int inDim, int outDim, WorkerPool? pool = null)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the few-rows Q8 kernel needs AVX2 and FMA");
        if (rows < 1 || rows > MaxRows)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"Q8Batch takes 1..{MaxRows} rows");
        if (inDim % Q8.BlockSize != 0 || x.Length < (long)rows * inDim || values.Length < (long)outDim * inDim
            || scales.Length < (long)outDim * inDim / Q8.BlockSize || y.Length < (long)rows * outDim || (!bias.IsEmpty && bias.Length < outDim))
            throw new ArgumentException(
                $"Q8Batch shapes: In {inDim} (need a multiple of {Q8.BlockSize}), x {x.Length} (need {rows}x{inDim}), W {values.Length} values / " +
                $"{scales.Length} scales (need {outDim}x{inDim}), b {bias.Length}, y {y.Length} (need {rows}x{outDim})");
        var job = Job.ForThisThread;
        int blocks = inDim / Q8.BlockSize;
        if (job.XValues.Length < rows * inDim)
        {
            job.XValues = GC.AllocateArray<sbyte>(MaxRows * inDim, pinned: true);
            job.XAbs = GC.AllocateArray<sbyte>(MaxRows * inDim, pinned: true);
            job.XScales = GC.AllocateArray<float>(MaxRows * blocks, pinned: true);
        }
        Q8.QuantizeRow(x[..(rows * inDim)], job.XValues, job.XScales);
        for (int i = 0; i < rows * inDim; i++) job.XAbs[i] = (sbyte)Math.Abs(job.XValues[i]);   // |q| ≤ 127
        fixed (sbyte* pw = values, pxv = job.XValues, pxa = job.XAbs)
        fixed (float* ps = scales, pxs = job.XScales, pb = bias, py = y)
        {
            job.W = pw; job.WS = ps; job.XV = pxv; job.XA = pxa; job.XS = pxs; job.B = pb; job.Y = py;
            job.Vnni = KernelDispatch.Width == VectorWidth.Bits512 && AvxVnni.IsSupported;
            (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
            if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
            job.W = job.XV = job.XA = null;
            job.WS = job.XS = job.B = job.Y = null;
        }
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public sbyte[] XValues = [], XAbs = [];
        public float[] XScales = [];
        public sbyte* W, XV, XA;
        public float* WS, XS, B, Y;
        public int Rows, In, Out;
        public bool Vnni;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: 2);
            int blocks = In / Q8.BlockSize;
            float* sums = stackalloc float[2 * TileRows];
            for (int o = o0; o < o1; o += 2)
            {
                // An odd last output repeats itself as the tile's second (its sums dropped).
                long second = o + 1 < o1 ? In : 0;
                // Rows 4 at a time: the second group finds the tile's two weight rows in L1 (measured faster than one
                // pass of 8 rows, 16 accumulators, at 8 rows).
                for (int r0 = 0; r0 < Rows; r0 += TileRows)
                {
                    int rows = Math.Min(TileRows, Rows - r0);
                    sbyte* xv = XV + (long)r0 * In, xa = XA + (long)r0 * In;
                    float* xs = XS + (long)r0 * blocks;
                    if (Vnni) Tile<VnniDot>(xv, xa, xs, W + (long)o * In, second, WS + (long)o * blocks, second / Q8.BlockSize, rows, In, blocks, sums);
                    else Tile<Avx2Dot>(xv, xa, xs, W + (long)o * In, second, WS + (long)o * blocks, second / Q8.BlockSize, rows, In, blocks, sums);
                    for (int j = 0; j < (second != 0 ? 2 : 1); j++)
                    {
                        float b = B != null ? B[o + j] : 0f;
                        for (int r = 0; r < rows; r++) Y[(long)(r0 + r) * Out + o + j] = sums[j * TileRows + r] + b;
                    }
                }
            }
        }
    }

    private const int TileRows = 4;

    /// <summary>sums[j·4 + r] = Σ_b s_x[r, b]·s_w[j, b]·(q(x_r)·w_j) over the blocks, for the two weight rows w and
    /// w + <paramref name="second"/> (scales ws and ws + <paramref name="secondScales"/>) and rows x_0..x_{rows−1},
    /// rows ≤ 4 (rows past the last alias it).</summary>
    private static void Tile<T>(sbyte* xv, sbyte* xa, float* xs, sbyte* w, long second, float* ws, long secondScales,
        int rows, int n, int blocks, float* sums) where T : struct, IBlockDot
    {
        int last = rows - 1;
        long s1 = Math.Min(1, last) * (long)n, s2 = Math.Min(2, last) * (long)n, s3 = Math.Min(3, last) * (long)n;
        int c1 = Math.Min(1, last) * blocks, c2 = Math.Min(2, last) * blocks, c3 = Math.Min(3, last) * blocks;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int b = 0; b < blocks; b++)
        {
            long at = (long)b * Q8.BlockSize;
            // The next tile's two rows are fetched while this one computes (see MatVecBatch).
            Sse.Prefetch0(w + 2 * second + at);
            Sse.Prefetch0(w + 3 * second + at);
            var wa = Vector256.Load(w + at);
            var wb = Vector256.Load(w + second + at);
            var sa = Vector256.Create(ws[b]);
            var sb = Vector256.Create(ws[secondScales + b]);
            Step<T>(wa, wb, sa, sb, xv + at, xa + at, xs[b], ref a0, ref b0);
            Step<T>(wa, wb, sa, sb, xv + s1 + at, xa + s1 + at, xs[c1 + b], ref a1, ref b1);
            Step<T>(wa, wb, sa, sb, xv + s2 + at, xa + s2 + at, xs[c2 + b], ref a2, ref b2);
            Step<T>(wa, wb, sa, sb, xv + s3 + at, xa + s3 + at, xs[c3 + b], ref a3, ref b3);
        }
        (sums[0], sums[1], sums[2], sums[3]) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        (sums[4], sums[5], sums[6], sums[7]) = (Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3));
    }

    /// <summary>One x row's block against the two weight blocks: acc += float(dot)·s_x·s_w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<T>(Vector256<sbyte> wa, Vector256<sbyte> wb, Vector256<float> sa, Vector256<float> sb,
        sbyte* xv, sbyte* xa, float xs, ref Vector256<float> accA, ref Vector256<float> accB) where T : struct, IBlockDot
    {
        var x = Vector256.Load(xv);
        var abs = Vector256.Load(xa).AsByte();
        var scale = Vector256.Create(xs);
        accA = Fma.MultiplyAdd(Avx.ConvertToVector256Single(T.Dot(abs, Avx2.Sign(wa, x))), scale * sa, accA);
        accB = Fma.MultiplyAdd(Avx.ConvertToVector256Single(T.Dot(abs, Avx2.Sign(wb, x))), scale * sb, accB);
    }

    /// <summary>The int8 dot product of one 32-value block: eight int32 partial sums of |x|·sign(w, x).</summary>
    private interface IBlockDot
    {
        static abstract Vector256<int> Dot(Vector256<byte> xAbs, Vector256<sbyte> signedW);
    }

    private struct VnniDot : IBlockDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> xAbs, Vector256<sbyte> signedW) => AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, xAbs, signedW);
    }

    private struct Avx2Dot : IBlockDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Dot(Vector256<byte> xAbs, Vector256<sbyte> signedW)
            => Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(xAbs, signedW), Vector256.Create((short)1));
    }
}
