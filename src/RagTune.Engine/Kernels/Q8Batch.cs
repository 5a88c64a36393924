// y[t] = W·q(x[t]) + b for a few activation rows at once with W in Q8 blocks (Q8.cs) — the decode step of a few streams
// (continuous batching). Each x row is quantised per block of 32 like Q8.Forward's; then each weight block is loaded
// once for every row. Two paths:
// - Wide path with AVX-VNNI (TileVnni): the rows are interleaved so one 32-byte vector holds the same 4 values of all 8
//   rows; each 4-byte group of a weight row is broadcast to the 8 lanes, takes the rows' signs (vpsignb) and one
//   vpdpbusd with the rows' magnitudes adds every row's 4 products into its own lane — 2 instructions per 32
//   multiply-adds for all rows together; the conversion and the s_x·s_w scaling then run once per block for 8 rows
//   (a vector of the 8 rows' scales). Tiles of 4 outputs × 8 rows. Measured against the row-by-row VNNI tile it
//   replaced (one thread, per CPU second, bench/engine `rows --format q8 --layers 12`, 12 layers + lm_head, under load):
//   8 rows 32–39 ms a step against 57–59, 4 rows level (32–34 against 32–35).
// - Elsewhere (the 256-bit path, or no VNNI): a tile of 2 outputs × 4 rows; sign(w, x_r) moves x's sign onto w, and
//   |x_r|·that is summed into int32 lanes by vpmaddubsw + vpmaddwd (exact: 2·127·127 < 32768 per pair), then scaled by
//   s_x·s_w per block in float32; 5–8 rows run as two groups of 4 per tile, the second finding the tile's two weight
//   rows in L1.
// 256 bits wide: .NET 10 exposes vpdpbusd only on xmm/ymm (AvxVnni; the zmm form has no API). A zmm variant without
// VNNI (two blocks per register, vpmaddubsw + vpmaddwd) measured slower than the ymm VNNI tiles at 4 and 8 rows. The
// next tile's weight rows are prefetched, as in MatVecBatch. At 2 rows the matrix-vector kernel (Q8.Forward) stays
// faster, so MatVecBatch takes this kernel from 3 rows. The result equals Q8.ForwardNaive up to float32 summation order
// (the tests' oracle).
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
        if (job.XValues.Length < MaxRows * inDim)
        {
            job.XValues = GC.AllocateArray<sbyte>(MaxRows * inDim, pinned: true);
            job.XAbs = GC.AllocateArray<sbyte>(MaxRows * inDim, pinned: true);
            job.XSigns = GC.AllocateArray<sbyte>(MaxRows * inDim, pinned: true);
            job.XScales = GC.AllocateArray<float>(MaxRows * blocks, pinned: true);
            job.XScalesByBlock = GC.AllocateArray<float>(MaxRows * blocks, pinned: true);
        }
        Q8.QuantizeRow(x[..(rows * inDim)], job.XValues, job.XScales);
        // The wide path with AVX-VNNI: rows interleaved (Interleave), every row in one vpdpbusd; else |x| beside x.
        job.Vnni = KernelDispatch.Width == VectorWidth.Bits512 && AvxVnni.IsSupported;
        if (job.Vnni) Interleave(job.XValues, job.XScales, rows, inDim, job.XSigns, job.XAbs, job.XScalesByBlock);
        else for (int i = 0; i < rows * inDim; i++) job.XAbs[i] = (sbyte)Math.Abs(job.XValues[i]);   // |q| ≤ 127
        fixed (sbyte* pw = values, pxv = job.Vnni ? job.XSigns : job.XValues, pxa = job.XAbs)
        fixed (float* ps = scales, pxs = job.Vnni ? job.XScalesByBlock : job.XScales, pb = bias, py = y)
        {
            job.W = pw; job.WS = ps; job.XV = pxv; job.XA = pxa; job.XS = pxs; job.B = pb; job.Y = py;
            (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
            if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
            job.W = job.XV = job.XA = null;
            job.WS = job.XS = job.B = job.Y = null;
        }
    }

    /// <summary>The quantised rows laid out for <see cref="TileVnni"/>: per block and per group of 4 values, one 32-byte
    /// vector holding that group of every row (row r in bytes 4r..4r+3, zeros past the last row), the values in
    /// <paramref name="signs"/> and their magnitudes in <paramref name="abs"/>; the scales as [block, 8 rows].</summary>
    private static void Interleave(sbyte[] values, float[] scales, int rows, int n, sbyte[] signs, sbyte[] abs, float[] scalesByBlock)
    {
        int blocks = n / Q8.BlockSize, groups = n / 4;
        values.AsSpan(rows * n, (MaxRows - rows) * n).Clear();   // the missing rows dot to zero
        var index = Vector256.Create(0, 1, 2, 3, 4, 5, 6, 7) * groups;
        fixed (sbyte* v = values, s = signs, a = abs)
            for (int g = 0; g < groups; g++)
            {
                // group g of the 8 rows: ints g, g + groups, ... of the row-major values
                var lanes = Avx2.GatherVector256((int*)v + g, index, 4).AsSByte();
                Vector256.Store(lanes, s + 32L * g);
                Vector256.Store(Vector256.Abs(lanes), a + 32L * g);
            }
        for (int b = 0; b < blocks; b++)
            for (int r = 0; r < MaxRows; r++) scalesByBlock[b * MaxRows + r] = r < rows ? scales[r * blocks + b] : 0f;
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public sbyte[] XValues = [], XAbs = [], XSigns = [];
        public float[] XScales = [], XScalesByBlock = [];
        public sbyte* W, XV, XA;
        public float* WS, XS, B, Y;
        public int Rows, In, Out;
        public bool Vnni;

        public void Execute(int part, int parts)
        {
            if (Vnni)
            {
                ExecuteInterleaved(part, parts);
                return;
            }
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
                    Tile(xv, xa, xs, W + (long)o * In, second, WS + (long)o * blocks, second / Q8.BlockSize, rows, In, blocks, sums);
                    for (int j = 0; j < (second != 0 ? 2 : 1); j++)
                    {
                        float b = B != null ? B[o + j] : 0f;
                        for (int r = 0; r < rows; r++) Y[(long)(r0 + r) * Out + o + j] = sums[j * TileRows + r] + b;
                    }
                }
            }
        }

        /// <summary>The VNNI path: tiles of <see cref="VnniOutputs"/> outputs × all rows over the interleaved x.</summary>
        private void ExecuteInterleaved(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: VnniOutputs);
            int blocks = In / Q8.BlockSize;
            float* sums = stackalloc float[VnniOutputs * MaxRows];
            var w = stackalloc sbyte*[VnniOutputs];
            var ws = stackalloc float*[VnniOutputs];
            for (int o = o0; o < o1; o += VnniOutputs)
            {
                // Outputs past the share's last repeat it (their sums dropped): one kernel shape per tile.
                for (int j = 0; j < VnniOutputs; j++)
                {
                    int oj = Math.Min(o + j, o1 - 1);
                    w[j] = W + (long)oj * In;
                    ws[j] = WS + (long)oj * blocks;
                }
                TileVnni(XA, XV, XS, w, ws, In, blocks, sums);
                for (int j = 0; j < Math.Min(VnniOutputs, o1 - o); j++)
                {
                    float b = B != null ? B[o + j] : 0f;
                    for (int r = 0; r < Rows; r++) Y[(long)r * Out + o + j] = sums[j * MaxRows + r] + b;
                }
            }
        }
    }

    /// <summary>Outputs per tile of the VNNI path.</summary>
    private const int VnniOutputs = 4;

    /// <summary>sums[j·8 + r] = Σ_b s_x[r, b]·s_w[j, b]·(q(x_r)·w_j) for four weight rows w[j] (scales ws[j]) and all 8
    /// rows at once, x interleaved (<see cref="Interleave"/>): each 4-byte group of a weight row is broadcast to the 8
    /// lanes, takes the signs of the 8 rows' group (vpsignb) and one vpdpbusd with their magnitudes gives each row's
    /// partial sum in its own lane — 2 instructions per 32 multiply-adds, where a row-by-row tile needs a sign, a dot,
    /// a conversion and a scaling per row and block. Two sums per weight row and block (even and odd groups) keep 8
    /// dependency chains in flight.</summary>
    private static void TileVnni(sbyte* xa, sbyte* xs, float* scalesByBlock, sbyte** w, float** ws, int n, int blocks, float* sums)
    {
        sbyte* w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3];
        float* s0 = ws[0], s1 = ws[1], s2 = ws[2], s3 = ws[3];
        // The next tile's rows are 4 rows on from each (prefetches past the end are harmless).
        long next = 4L * n;
        Vector256<float> f0 = Vector256<float>.Zero, f1 = f0, f2 = f0, f3 = f0;
        for (int b = 0; b < blocks; b++)
        {
            long at = (long)b * Q8.BlockSize;
            Sse.Prefetch0(w0 + next + at);
            Sse.Prefetch0(w1 + next + at);
            Sse.Prefetch0(w2 + next + at);
            Sse.Prefetch0(w3 + next + at);
            byte* a = (byte*)xa + 8 * at;
            sbyte* s = xs + 8 * at;
            Vector256<int> p0 = Vector256<int>.Zero, p1 = p0, p2 = p0, p3 = p0, q0 = p0, q1 = p0, q2 = p0, q3 = p0;
            for (int k = 0; k < Q8.BlockSize / 4; k += 2)
            {
                var abs = Vector256.Load(a + 32 * k);
                var sign = Vector256.Load(s + 32 * k);
                p0 = Dot(p0, abs, sign, w0 + at + 4 * k);
                p1 = Dot(p1, abs, sign, w1 + at + 4 * k);
                p2 = Dot(p2, abs, sign, w2 + at + 4 * k);
                p3 = Dot(p3, abs, sign, w3 + at + 4 * k);
                abs = Vector256.Load(a + 32 * k + 32);
                sign = Vector256.Load(s + 32 * k + 32);
                q0 = Dot(q0, abs, sign, w0 + at + 4 * k + 4);
                q1 = Dot(q1, abs, sign, w1 + at + 4 * k + 4);
                q2 = Dot(q2, abs, sign, w2 + at + 4 * k + 4);
                q3 = Dot(q3, abs, sign, w3 + at + 4 * k + 4);
            }
            var sx = Vector256.Load(scalesByBlock + b * MaxRows);
            f0 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p0 + q0), sx * Vector256.Create(s0[b]), f0);
            f1 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p1 + q1), sx * Vector256.Create(s1[b]), f1);
            f2 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p2 + q2), sx * Vector256.Create(s2[b]), f2);
            f3 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(p3 + q3), sx * Vector256.Create(s3[b]), f3);
        }
        f0.Store(sums);
        f1.Store(sums + 8);
        f2.Store(sums + 16);
        f3.Store(sums + 24);
    }

    /// <summary>acc + each lane's |x|·(w·sign x) over 4 bytes: the 4-byte weight group at <paramref name="w"/>
    /// against that group of 8 rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Dot(Vector256<int> acc, Vector256<byte> abs, Vector256<sbyte> sign, sbyte* w)
        => AvxVnni.MultiplyWideningAndAdd(acc, abs, Avx2.Sign(Vector256.Create(*(int*)w).AsSByte(), sign));

    private const int TileRows = 4;

    /// <summary>sums[j·4 + r] = Σ_b s_x[r, b]·s_w[j, b]·(q(x_r)·w_j) over the blocks, for the two weight rows w and
    /// w + <paramref name="second"/> (scales ws and ws + <paramref name="secondScales"/>) and rows x_0..x_{rows−1},
    /// rows ≤ 4 (rows past the last alias it).</summary>
    private static void Tile(sbyte* xv, sbyte* xa, float* xs, sbyte* w, long second, float* ws, long secondScales,
        int rows, int n, int blocks, float* sums)
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
            Step(wa, wb, sa, sb, xv + at, xa + at, xs[b], ref a0, ref b0);
            Step(wa, wb, sa, sb, xv + s1 + at, xa + s1 + at, xs[c1 + b], ref a1, ref b1);
            Step(wa, wb, sa, sb, xv + s2 + at, xa + s2 + at, xs[c2 + b], ref a2, ref b2);
            Step(wa, wb, sa, sb, xv + s3 + at, xa + s3 + at, xs[c3 + b], ref a3, ref b3);
        }
        (sums[0], sums[1], sums[2], sums[3]) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        (sums[4], sums[5], sums[6], sums[7]) = (Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3));
    }

    /// <summary>One x row's block against the two weight blocks: acc += float(dot)·s_x·s_w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector256<sbyte> wa, Vector256<sbyte> wb, Vector256<float> sa, Vector256<float> sb,
        sbyte* xv, sbyte* xa, float xs, ref Vector256<float> accA, ref Vector256<float> accB)
    {
        var x = Vector256.Load(xv);
        var abs = Vector256.Load(xa).AsByte();
        var scale = Vector256.Create(xs);
        accA = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockDot(abs, Avx2.Sign(wa, x))), scale * sa, accA);
        accB = Fma.MultiplyAdd(Avx.ConvertToVector256Single(BlockDot(abs, Avx2.Sign(wb, x))), scale * sb, accB);
    }

    /// <summary>The int8 dot product of one 32-value block: eight int32 partial sums of |x|·sign(w, x) (vpmaddubsw, then
    /// vpmaddwd against ones).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BlockDot(Vector256<byte> xAbs, Vector256<sbyte> signedW)
        => Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(xAbs, signedW), Vector256.Create((short)1));
}
