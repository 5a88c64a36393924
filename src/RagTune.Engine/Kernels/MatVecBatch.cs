// y[b] = W·x[b] + bias for a few activation rows at once — the decode step of B ≤ 8 streams (continuous batching) —
// with W [Out, In] in float32 or bf16 bits. The cache-blocked GEMM packs W into panels first, which at a few rows costs
// more than the products (one thread, 4864×896 bf16: GEMM 4 rows 1.8 ms / 8 rows 2.2 ms against 0.97 / 1.9 ms for 4 / 8
// matrix-vector products). Register-blocked tiles: 5–8 rows take 2 weight rows × 8 x rows, fewer rows 4 × 4, so 16 zmm
// accumulators (the 256-bit path, with 16 registers, half as many weight rows); each weight vector is loaded (bf16:
// widened by a shift, a bf16 being the top half of a float32) once and used by every x row, and x's rows are copied to
// 64-byte boundaries first (the wide tiles: interleaved, the 16 columns of every row of a tile one after another, so one
// pointer walks all the x loads). Each tile prefetches the next tile's weight rows: without that the weight stream, not
// the FMAs, held the tiles back (bench/engine `rows`, 8 rows, bf16, one thread, per CPU second: 152 → 79 ms a step for
// the Qwen2.5-0.5B projections; the previous 4-rows-per-pass kernel 156–226 ms). The wide tiles are compiled once per
// weight format (a struct type argument: no format branch in the loop) and reduce their 16 accumulators in one
// shuffle tree (Reduce16) instead of 16 separate sums: on weights held in L2 (896 × 256 bf16, 8 rows, one thread)
// 85 → 164–171 GFLOP/s per CPU second, on the 896 × 4864 gate shape 84 → 150; streaming the step's weights from DRAM on
// a loaded machine, 53 → 46 ms a step (12 layers + lm_head), where the weight stream now sets the pace. The 8-row wide
// path takes the columns in blocks of 1,024 (x's block of 8 rows in L1; the down projection's whole rows, 8 × 4,864
// floats, came from L2): one 4,864-column matrix of 896 rows, 93 → 164 GFLOP/s per CPU second. 512-bit vectors
// where KernelDispatch picks them, else 256-bit. ForwardNaive is the oracle.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class MatVecBatch
{
    /// <summary>Activation rows one call takes at most; more rows are what the GEMM is for.</summary>
    public const int MaxRows = 8;

    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] + b[o] for t &lt; rows ≤ <see cref="MaxRows"/>; W [Out, In] float32.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim, WorkerPool? pool = null)
    {
        CheckShapes(x, w.Length, bias, y, rows, inDim, outDim);
        fixed (float* px = x, pw = w, pb = bias, py = y) Run(px, pw, null, pb, py, rows, inDim, outDim, pool);
    }

    /// <summary>As <see cref="Forward(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, int, int, WorkerPool?)"/>
    /// with W [Out, In] as bf16 bits.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<ushort> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim, WorkerPool? pool = null)
    {
        CheckShapes(x, w.Length, bias, y, rows, inDim, outDim);
        fixed (float* px = x, pb = bias, py = y)
        fixed (ushort* pw = w) Run(px, null, pw, pb, py, rows, inDim, outDim, pool);
    }

    /// <summary>y [rows, Out] = x [rows, In] · Wᵀ + b for the 2–8 rows of several streams' decode steps: float32 and bf16
    /// through this kernel, Q8 from 3 rows through <see cref="Q8Batch"/> (each weight read once for all rows; at 2 rows
    /// the matrix-vector kernel measured faster); any other format, or more rows, as <see cref="WeightMatrix.Multiply"/>
    /// does it.</summary>
    public static void Multiply(WeightMatrix w, ReadOnlySpan<float> bias, ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        if (rows is >= 1 and <= MaxRows)
            switch (w.Format)
            {
                case WeightFormat.F32:
                    Forward(x, w.Float32, bias, y, rows, w.Cols, w.Rows);
                    return;
                case WeightFormat.BF16:
                    Forward(x, w.BF16Bits, bias, y, rows, w.Cols, w.Rows);
                    return;
                case WeightFormat.Q8 when rows >= Q8Batch.MinRows && Q8Batch.IsSupported:
                    Q8Batch.Forward(x, w.Q8Values, w.Q8Scales, bias, y, rows, w.Cols, w.Rows);
                    return;
            }
        w.Multiply(x, bias, y, rows);
    }

    /// <summary>The oracle: each weight widened exactly, sums in double.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, Func<long, float> weight, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim)
    {
        for (int t = 0; t < rows; t++)
            for (int o = 0; o < outDim; o++)
            {
                double s = bias.IsEmpty ? 0 : bias[o];
                for (int i = 0; i < inDim; i++) s += (double)x[t * inDim + i] * weight((long)o * inDim + i);
                y[t * outDim + o] = (float)s;
            }
    }

    private static void Run(float* x, float* wf, ushort* wb, float* bias, float* y, int rows, int inDim, int outDim, WorkerPool? pool)
    {
        var job = Job.ForThisThread;
        job.Wide = KernelDispatch.Width == VectorWidth.Bits512;
        if (job.Wide)
        {
            // The wide tiles read x interleaved: per 16 columns, the 16 values of each of the tile's rows (8 or 4; rows
            // past the last are zeros) one after another, so one pointer walks every row's loads; the columns past the
            // last whole 16 stay in x itself (Tail).
            int tileRows = rows > 4 ? 8 : 4, chunks = inDim / 16;
            job.X = job.Aligned(chunks * tileRows * 16);
            for (int c = 0; c < chunks; c++)
                for (int r = 0; r < tileRows; r++)
                {
                    float* dst = job.X + (c * tileRows + r) * 16;
                    if (r < rows) Vector512.Store(Vector512.Load(x + (long)r * inDim + c * 16), dst);
                    else Vector512.Store(Vector512<float>.Zero, dst);
                }
            job.Stride = inDim;
            job.Rowwise = x;
        }
        else
        {
            // x's rows copied to 64-byte boundaries: every 256-bit load of x then stays within one cache line.
            job.Stride = (inDim + 15) & ~15;
            job.X = job.Aligned(rows * job.Stride);
            for (int r = 0; r < rows; r++) Buffer.MemoryCopy(x + (long)r * inDim, job.X + (long)r * job.Stride, 4L * inDim, 4L * inDim);
            job.Rowwise = job.X;
        }
        job.WF = wf; job.WB = wb; job.Bias = bias; job.Y = y;
        (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
        if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
        else (pool ?? WorkerPool.Shared).Run(job);
        job.X = job.Rowwise = job.WF = job.Bias = job.Y = null;
        job.WB = null;
    }

    private static void CheckShapes(ReadOnlySpan<float> x, long weights, ReadOnlySpan<float> bias, Span<float> y, int rows, int inDim, int outDim)
    {
        if (rows < 1 || rows > MaxRows)
            throw new ArgumentOutOfRangeException(nameof(rows), rows, $"MatVecBatch takes 1..{MaxRows} rows");
        if (x.Length < (long)rows * inDim || weights < (long)outDim * inDim || y.Length < (long)rows * outDim
            || (!bias.IsEmpty && bias.Length < outDim))
            throw new ArgumentException(
                $"MatVecBatch shapes: x {x.Length} (need {rows}x{inDim}), W {weights} (need {outDim}x{inDim}), b {bias.Length}, y {y.Length} (need {rows}x{outDim})");
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public float* X, Rowwise, WF, Bias, Y;   // X: interleaved (wide) or aligned rows; Rowwise: rows of Stride floats
        public ushort* WB;
        public int Rows, In, Out, Stride;
        public bool Wide;
        private float* _aligned;
        private int _alignedFloats;

        /// <summary>This thread's 64-byte-aligned scratch of at least <paramref name="floats"/> (kept for the thread's
        /// life: at most 8 rows of the widest input).</summary>
        public float* Aligned(int floats)
        {
            if (_alignedFloats < floats)
            {
                if (_aligned != null) System.Runtime.InteropServices.NativeMemory.AlignedFree(_aligned);
                _aligned = (float*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc((nuint)floats * 4, 64);
                _alignedFloats = floats;
            }
            return _aligned;
        }

        public void Execute(int part, int parts)
        {
            // Tiles of Tile outputs × all rows: 5–8 rows take 2 outputs × 8 rows, fewer rows 4 outputs × 4 rows (16 zmm
            // accumulators either way); the 256-bit path has 16 registers, so half as many outputs per tile. (Two passes
            // of the 4 × 4 tile for 8 rows, the second finding the weights in L1, measured slower: 103 against 85 ms a
            // step, bf16, one thread.)
            bool eight = Rows > 4;
            int tile = (eight ? 2 : 4) / (Wide ? 1 : 2);
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: tile);
            float* sums = stackalloc float[16];
            // Rows past the last alias it (their sums are dropped): one kernel shape per tile.
            var x = stackalloc float*[8];
            for (int r = 0; r < 8; r++) x[r] = Rowwise + (long)Math.Min(r, Rows - 1) * Stride;
            int o = o0;
            if (Wide && eight)
            {
                // Columns in blocks of KBlock, every tile of the share per block: x's block of 8 rows (32 KB) stays in
                // L1 where a whole row of the widest input (8 × 4,864 floats) would come from L2 at each load; the
                // sums of later blocks are added to y.
                var xk = stackalloc float*[8];
                int whole = o0 + (o1 - o0) / tile * tile;
                for (int k0 = 0; k0 < In; k0 += KBlock)
                {
                    int n = Math.Min(KBlock, In - k0);
                    for (int r = 0; r < 8; r++) xk[r] = x[r] + k0;
                    for (o = o0; o < whole; o += tile)
                    {
                        if (WF != null) Tile8x2x512<Float32Rows>(X + 8L * k0, (byte*)(WF + (long)o * In + k0), n, In, xk, sums);
                        else Tile8x2x512<BF16Rows>(X + 8L * k0, (byte*)(WB + (long)o * In + k0), n, In, xk, sums);
                        Store(sums, o, tile, 8, add: k0 > 0);
                    }
                }
            }
            else
                for (; o + tile <= o1; o += tile)
                {
                    if (Wide)
                    {
                        if (WF != null) Tile4x4x512<Float32Rows>(X, (byte*)(WF + (long)o * In), In, x, sums);
                        else Tile4x4x512<BF16Rows>(X, (byte*)(WB + (long)o * In), In, x, sums);
                    }
                    else if (eight) Tile8x1x256(x, WF, WB, (long)o * In, In, sums);
                    else Tile4x2x256(x, WF, WB, (long)o * In, In, sums);
                    Store(sums, o, tile, eight ? 8 : 4);
                }
            for (; o < o1; o++)
            {
                // The last outputs of a share, one at a time (the 256-bit tiles of one output).
                if (eight) Tile8x1x256(x, WF, WB, (long)o * In, In, sums);
                else Tile4x2x256(x, WF, WB, (long)o * In, 0, In, sums);
                Store(sums, o, 1, eight ? 8 : 4);
            }
        }

        /// <summary>y[r, o + j] = sums[j·rows + r] + b for the real rows; with <paramref name="add"/>, y += sums (a later
        /// block of columns).</summary>
        private void Store(float* sums, int o, int outputs, int rows, bool add = false)
        {
            for (int j = 0; j < outputs; j++)
            {
                float b = add ? 0f : Bias != null ? Bias[o + j] : 0f;
                for (int r = 0; r < Math.Min(Rows, rows); r++)
                {
                    float* at = Y + (long)r * Out + o + j;
                    *at = sums[j * rows + r] + (add ? *at : b);
                }
            }
        }
    }

    /// <summary>Columns per block of the 8-row wide path: 8 rows × 1,024 floats of x = 32 KB, within L1.</summary>
    private const int KBlock = 1024;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector512<float> Load512(float* wf, ushort* wb, long at) => wf != null
        ? Vector512.Load(wf + at)
        : Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load(wb + at).ToVector512Unsafe()), 16).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Load256(float* wf, ushort* wb, long at) => wf != null
        ? Vector256.Load(wf + at)
        : Vector256.ShiftLeft(Vector256.WidenLower(Vector128.Load(wb + at).ToVector256Unsafe()), 16).AsSingle();

    /// <summary>Asks for the cache line of weight <paramref name="at"/> (prefetches past the matrix's end are harmless).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(float* wf, ushort* wb, long at)
    {
        if (wf != null) Sse.Prefetch0(wf + at);
        else Sse.Prefetch0(wb + at);
    }

    internal static float Weight(float* wf, ushort* wb, long at) => wf != null ? wf[at] : BitConverter.Int32BitsToSingle(wb[at] << 16);

    /// <summary>How the wide tiles read a weight row: float32, or bf16 widened by a shift (a bf16 is the top half of a
    /// float32). A struct type argument, so each tile is compiled once per format with no branch in its loop.</summary>
    private interface IWeightRows
    {
        /// <summary>Bytes per weight.</summary>
        static abstract int Size { get; }

        /// <summary>16 weights from element i of the row at w, as floats.</summary>
        static abstract Vector512<float> Load(byte* w, long i);

        static abstract float At(byte* w, long i);
    }

    private struct Float32Rows : IWeightRows
    {
        public static int Size => 4;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* w, long i) => Vector512.Load((float*)w + i);

        public static float At(byte* w, long i) => ((float*)w)[i];
    }

    private struct BF16Rows : IWeightRows
    {
        public static int Size => 2;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(byte* w, long i)
            => Vector512.ShiftLeft(Vector512.WidenLower(Vector256.Load((ushort*)w + i).ToVector512Unsafe()), 16).AsSingle();

        public static float At(byte* w, long i) => BitConverter.Int32BitsToSingle(((ushort*)w)[i] << 16);
    }

    /// <summary>sums[j·8 + r] = W[j]·x_r over n columns for the two weight rows at w (the second stride weights on) and
    /// eight x rows, x interleaved (xi: per 16 columns, 16 values of each row): each weight vector loaded once for all eight rows, 16
    /// accumulators; the columns past the last whole 16 from the rows x[r].</summary>
    private static void Tile8x2x512<T>(float* xi, byte* w, int n, int stride, float** x, float* sums) where T : struct, IWeightRows
    {
        byte* w0 = w, w1 = w + (long)stride * T.Size;
        // The next tile's two rows are fetched while this one computes (the tile's own come from the previous tile's
        // prefetches): the hardware prefetcher alone leaves the weight stream short of the FMAs.
        byte* p0 = w + 2L * stride * T.Size, p1 = w + 3L * stride * T.Size;
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        int i = 0;
        for (float* v = xi; i + 16 <= n; i += 16, v += 8 * 16)
        {
            Sse.Prefetch0(p0 + (long)i * T.Size);
            Sse.Prefetch0(p1 + (long)i * T.Size);
            var u = T.Load(w0, i);
            var t = T.Load(w1, i);
            var c = Vector512.Load(v); a0 = Vector512.FusedMultiplyAdd(u, c, a0); b0 = Vector512.FusedMultiplyAdd(t, c, b0);
            c = Vector512.Load(v + 16); a1 = Vector512.FusedMultiplyAdd(u, c, a1); b1 = Vector512.FusedMultiplyAdd(t, c, b1);
            c = Vector512.Load(v + 32); a2 = Vector512.FusedMultiplyAdd(u, c, a2); b2 = Vector512.FusedMultiplyAdd(t, c, b2);
            c = Vector512.Load(v + 48); a3 = Vector512.FusedMultiplyAdd(u, c, a3); b3 = Vector512.FusedMultiplyAdd(t, c, b3);
            c = Vector512.Load(v + 64); a4 = Vector512.FusedMultiplyAdd(u, c, a4); b4 = Vector512.FusedMultiplyAdd(t, c, b4);
            c = Vector512.Load(v + 80); a5 = Vector512.FusedMultiplyAdd(u, c, a5); b5 = Vector512.FusedMultiplyAdd(t, c, b5);
            c = Vector512.Load(v + 96); a6 = Vector512.FusedMultiplyAdd(u, c, a6); b6 = Vector512.FusedMultiplyAdd(t, c, b6);
            c = Vector512.Load(v + 112); a7 = Vector512.FusedMultiplyAdd(u, c, a7); b7 = Vector512.FusedMultiplyAdd(t, c, b7);
        }
        // sums[k] = Σ of accumulator k = j·8 + r, given in the order Reduce16 wants.
        Reduce16(a0, a4, b0, b4, a1, a5, b1, b5, a2, a6, b2, b6, a3, a7, b3, b7).Store(sums);
        for (; i < n; i++)
        {
            float u = T.At(w0, i), t = T.At(w1, i);
            for (int r = 0; r < 8; r++)
            {
                sums[r] += u * x[r][i];
                sums[8 + r] += t * x[r][i];
            }
        }
    }

    /// <summary>sums[j·4 + r] for the four weight rows at w (n weights apart) and four x rows, x interleaved 4 rows per
    /// 16 columns.</summary>
    private static void Tile4x4x512<T>(float* xi, byte* w, int n, float** x, float* sums) where T : struct, IWeightRows
    {
        long stride = (long)n * T.Size;
        byte* w0 = w, w1 = w + stride, w2 = w + 2 * stride, w3 = w + 3 * stride, next = w + 4 * stride;
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        Vector512<float> c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        int i = 0;
        for (float* v = xi; i + 16 <= n; i += 16, v += 4 * 16)
        {
            long at = (long)i * T.Size;
            Sse.Prefetch0(next + at);   // the next tile's rows
            Sse.Prefetch0(next + stride + at);
            Sse.Prefetch0(next + 2 * stride + at);
            Sse.Prefetch0(next + 3 * stride + at);
            var e0 = T.Load(w0, i);
            var e1 = T.Load(w1, i);
            var e2 = T.Load(w2, i);
            var e3 = T.Load(w3, i);
            var c = Vector512.Load(v);
            a0 = Vector512.FusedMultiplyAdd(e0, c, a0); b0 = Vector512.FusedMultiplyAdd(e1, c, b0);
            c0 = Vector512.FusedMultiplyAdd(e2, c, c0); d0 = Vector512.FusedMultiplyAdd(e3, c, d0);
            c = Vector512.Load(v + 16);
            a1 = Vector512.FusedMultiplyAdd(e0, c, a1); b1 = Vector512.FusedMultiplyAdd(e1, c, b1);
            c1 = Vector512.FusedMultiplyAdd(e2, c, c1); d1 = Vector512.FusedMultiplyAdd(e3, c, d1);
            c = Vector512.Load(v + 32);
            a2 = Vector512.FusedMultiplyAdd(e0, c, a2); b2 = Vector512.FusedMultiplyAdd(e1, c, b2);
            c2 = Vector512.FusedMultiplyAdd(e2, c, c2); d2 = Vector512.FusedMultiplyAdd(e3, c, d2);
            c = Vector512.Load(v + 48);
            a3 = Vector512.FusedMultiplyAdd(e0, c, a3); b3 = Vector512.FusedMultiplyAdd(e1, c, b3);
            c3 = Vector512.FusedMultiplyAdd(e2, c, c3); d3 = Vector512.FusedMultiplyAdd(e3, c, d3);
        }
        // accumulator k = j·4 + r: a (j = 0), b, c, d
        Reduce16(a0, b0, c0, d0, a1, b1, c1, d1, a2, b2, c2, d2, a3, b3, c3, d3).Store(sums);
        for (; i < n; i++)
            for (int j = 0; j < 4; j++)
            {
                float e = T.At(w + j * stride, i);
                for (int r = 0; r < 4; r++) sums[j * 4 + r] += e * x[r][i];
            }
    }

    /// <summary>The sums of 16 accumulators A_0..A_15 as one vector, lane k = Σ A_k, in 45 shuffles and adds (a
    /// reduction of each on its own takes ~8). The arguments come in the order s = 4p + L ↦ A_{4L + p} (a 4 × 4
    /// transpose of k), which is the order the tree below leaves its results in.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Reduce16(
        Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3,
        Vector512<float> s4, Vector512<float> s5, Vector512<float> s6, Vector512<float> s7,
        Vector512<float> s8, Vector512<float> s9, Vector512<float> s10, Vector512<float> s11,
        Vector512<float> s12, Vector512<float> s13, Vector512<float> s14, Vector512<float> s15)
    {
        // 1: pairs (s2m, s2m+1) → one vector: halves folded, 128-bit quarters [s2m: 0, 1 | s2m+1: 0, 1]
        var t0 = Fold(s0, s1); var t1 = Fold(s2, s3); var t2 = Fold(s4, s5); var t3 = Fold(s6, s7);
        var t4 = Fold(s8, s9); var t5 = Fold(s10, s11); var t6 = Fold(s12, s13); var t7 = Fold(s14, s15);
        // 2: pairs (t2p, t2p+1) → quarter L = the 4 partial sums of s_{4p + L}
        var u0 = Gather(t0, t1); var u1 = Gather(t2, t3); var u2 = Gather(t4, t5); var u3 = Gather(t6, t7);
        // 3, 4: within each quarter L, 4 partials of s_L, s_{4+L}, s_{8+L}, s_{12+L} → their 4 totals
        var v01 = Avx512F.UnpackLow(u0, u1) + Avx512F.UnpackHigh(u0, u1);
        var v23 = Avx512F.UnpackLow(u2, u3) + Avx512F.UnpackHigh(u2, u3);
        return Avx512F.UnpackLow(v01.AsDouble(), v23.AsDouble()).AsSingle() + Avx512F.UnpackHigh(v01.AsDouble(), v23.AsDouble()).AsSingle();

        static Vector512<float> Fold(Vector512<float> a, Vector512<float> b)
            => Avx512F.Shuffle4x128(a, b, 0b01_00_01_00) + Avx512F.Shuffle4x128(a, b, 0b11_10_11_10);

        static Vector512<float> Gather(Vector512<float> a, Vector512<float> b)
            => Avx512F.Shuffle4x128(a, b, 0b10_00_10_00) + Avx512F.Shuffle4x128(a, b, 0b11_01_11_01);
    }

    /// <summary>sums[r] for one weight row and eight x rows, 256-bit (8 accumulators of the 16 ymm registers).</summary>
    private static void Tile8x1x256(float** x, float* wf, ushort* wb, long row, int n, float* sums)
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Prefetch(wf, wb, row + n + i);   // the next tile's row
            var w = Load256(wf, wb, row + i);
            a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x0 + i), a0);
            a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x1 + i), a1);
            a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x2 + i), a2);
            a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x3 + i), a3);
            a4 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x4 + i), a4);
            a5 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x5 + i), a5);
            a6 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x6 + i), a6);
            a7 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x7 + i), a7);
        }
        (sums[0], sums[1], sums[2], sums[3]) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        (sums[4], sums[5], sums[6], sums[7]) = (Vector256.Sum(a4), Vector256.Sum(a5), Vector256.Sum(a6), Vector256.Sum(a7));
        Tail(x, 8, wf, wb, row, i, n, sums);
    }

    /// <summary>sums[j·4 + r] for two weight rows and four x rows, 256-bit.</summary>
    private static void Tile4x2x256(float** x, float* wf, ushort* wb, long row, int n, float* sums)
        => Tile4x2x256(x, wf, wb, row, n, n, sums);

    /// <summary>As above with the second weight row <paramref name="stride"/> after the first (0: one row, computed twice).</summary>
    private static void Tile4x2x256(float** x, float* wf, ushort* wb, long row, int stride, int n, float* sums)
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            Prefetch(wf, wb, row + 2L * stride + i);   // the next tile's rows
            Prefetch(wf, wb, row + 3L * stride + i);
            var w0 = Load256(wf, wb, row + i);
            var w1 = Load256(wf, wb, row + stride + i);
            var v = Vector256.Load(x0 + i); a0 = Vector256.FusedMultiplyAdd(w0, v, a0); b0 = Vector256.FusedMultiplyAdd(w1, v, b0);
            v = Vector256.Load(x1 + i); a1 = Vector256.FusedMultiplyAdd(w0, v, a1); b1 = Vector256.FusedMultiplyAdd(w1, v, b1);
            v = Vector256.Load(x2 + i); a2 = Vector256.FusedMultiplyAdd(w0, v, a2); b2 = Vector256.FusedMultiplyAdd(w1, v, b2);
            v = Vector256.Load(x3 + i); a3 = Vector256.FusedMultiplyAdd(w0, v, a3); b3 = Vector256.FusedMultiplyAdd(w1, v, b3);
        }
        (sums[0], sums[1], sums[2], sums[3]) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        (sums[4], sums[5], sums[6], sums[7]) = (Vector256.Sum(b0), Vector256.Sum(b1), Vector256.Sum(b2), Vector256.Sum(b3));
        Tail(x, 4, wf, wb, row, i, n, sums);
        Tail(x, 4, wf, wb, row + stride, i, n, sums + 4);
    }

    /// <summary>The elements past the last whole vector, added to sums[0..rows).</summary>
    private static void Tail(float** x, int rows, float* wf, ushort* wb, long row, int i, int n, float* sums)
    {
        for (; i < n; i++)
        {
            float w = Weight(wf, wb, row + i);
            for (int r = 0; r < rows; r++) sums[r] += w * x[r][i];
        }
    }
}
