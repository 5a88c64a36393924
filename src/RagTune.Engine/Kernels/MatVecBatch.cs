// y[b] = W·x[b] + bias for a few activation rows at once — the decode step of B ≤ 8 streams (continuous batching) —
// with W [Out, In] in float32 or bf16 bits. The cache-blocked GEMM packs W into panels first, which at a few rows costs
// more than the products (one thread, 4864×896 bf16: GEMM 4 rows 1.8 ms / 8 rows 2.2 ms against 0.97 / 1.9 ms for 4 / 8
// matrix-vector products). Register-blocked tiles: 5–8 rows take 2 weight rows × 8 x rows, fewer rows 4 × 4, so 16 zmm
// accumulators (the 256-bit path, with 16 registers, half as many weight rows); each weight vector is loaded (bf16:
// widened by a shift, a bf16 being the top half of a float32) once and used by every x row, and x's rows are copied to
// 64-byte boundaries first. Each tile prefetches the next tile's weight rows: without that the weight stream, not the
// FMAs, held the tiles back (bench/engine `rows`, 8 rows, bf16, one thread, per CPU second: 152 → 79 ms a step for the
// Qwen2.5-0.5B projections; the previous 4-rows-per-pass kernel 156–226 ms). 512-bit vectors where KernelDispatch picks
// them, else 256-bit. ForwardNaive is the oracle.
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
        // x's rows copied to 64-byte boundaries: every 512-bit load of x (8 per 16 FMAs) then stays within one cache line.
        job.Stride = (inDim + 15) & ~15;
        job.X = job.Aligned(rows * job.Stride);
        for (int r = 0; r < rows; r++) Buffer.MemoryCopy(x + (long)r * inDim, job.X + (long)r * job.Stride, 4L * inDim, 4L * inDim);
        job.WF = wf; job.WB = wb; job.Bias = bias; job.Y = y;
        (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
        job.Wide = KernelDispatch.Width == VectorWidth.Bits512;
        if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
        else (pool ?? WorkerPool.Shared).Run(job);
        job.X = job.WF = job.Bias = job.Y = null;
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
        public float* X, WF, Bias, Y;
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
            for (int r = 0; r < 8; r++) x[r] = X + (long)Math.Min(r, Rows - 1) * Stride;
            int o = o0;
            for (; o + tile <= o1; o += tile)
            {
                if (eight)
                {
                    if (Wide) Tile8x2x512(x, WF, WB, (long)o * In, In, sums);
                    else Tile8x1x256(x, WF, WB, (long)o * In, In, sums);
                }
                else if (Wide) Tile4x4x512(x, WF, WB, (long)o * In, In, sums);
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

        /// <summary>y[r, o + j] = sums[j·rows + r] + b for the real rows.</summary>
        private void Store(float* sums, int o, int outputs, int rows)
        {
            for (int j = 0; j < outputs; j++)
            {
                float b = Bias != null ? Bias[o + j] : 0f;
                for (int r = 0; r < Math.Min(Rows, rows); r++) Y[(long)r * Out + o + j] = sums[j * rows + r] + b;
            }
        }
    }

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

    /// <summary>sums[j·8 + r] = W[row + j·n ..]·x_r for two weight rows and eight x rows: each weight vector widened once
    /// and used by all eight rows, 16 accumulators.</summary>
    private static void Tile8x2x512(float** x, float* wf, ushort* wb, long row, int n, float* sums)
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3], x4 = x[4], x5 = x[5], x6 = x[6], x7 = x[7];
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        Vector512<float> b0 = a0, b1 = a0, b2 = a0, b3 = a0, b4 = a0, b5 = a0, b6 = a0, b7 = a0;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            // The next tile's two rows are fetched while this one computes (the tile's own come from the previous
            // tile's prefetches): the hardware prefetcher alone leaves the weight stream short of the FMAs.
            Prefetch(wf, wb, row + 2L * n + i);
            Prefetch(wf, wb, row + 3L * n + i);
            var w0 = Load512(wf, wb, row + i);
            var w1 = Load512(wf, wb, row + n + i);
            var v = Vector512.Load(x0 + i); a0 = Vector512.FusedMultiplyAdd(w0, v, a0); b0 = Vector512.FusedMultiplyAdd(w1, v, b0);
            v = Vector512.Load(x1 + i); a1 = Vector512.FusedMultiplyAdd(w0, v, a1); b1 = Vector512.FusedMultiplyAdd(w1, v, b1);
            v = Vector512.Load(x2 + i); a2 = Vector512.FusedMultiplyAdd(w0, v, a2); b2 = Vector512.FusedMultiplyAdd(w1, v, b2);
            v = Vector512.Load(x3 + i); a3 = Vector512.FusedMultiplyAdd(w0, v, a3); b3 = Vector512.FusedMultiplyAdd(w1, v, b3);
            v = Vector512.Load(x4 + i); a4 = Vector512.FusedMultiplyAdd(w0, v, a4); b4 = Vector512.FusedMultiplyAdd(w1, v, b4);
            v = Vector512.Load(x5 + i); a5 = Vector512.FusedMultiplyAdd(w0, v, a5); b5 = Vector512.FusedMultiplyAdd(w1, v, b5);
            v = Vector512.Load(x6 + i); a6 = Vector512.FusedMultiplyAdd(w0, v, a6); b6 = Vector512.FusedMultiplyAdd(w1, v, b6);
            v = Vector512.Load(x7 + i); a7 = Vector512.FusedMultiplyAdd(w0, v, a7); b7 = Vector512.FusedMultiplyAdd(w1, v, b7);
        }
        Sum4(a0, a1, a2, a3, sums);
        Sum4(a4, a5, a6, a7, sums + 4);
        Sum4(b0, b1, b2, b3, sums + 8);
        Sum4(b4, b5, b6, b7, sums + 12);
        for (int j = 0; j < 2; j++) Tail(x, 8, wf, wb, row + (long)j * n, i, n, sums + j * 8);
    }

    /// <summary>sums[j·4 + r] for four weight rows and four x rows (x[0..3]).</summary>
    private static void Tile4x4x512(float** x, float* wf, ushort* wb, long row, int n, float* sums)
    {
        float* x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        Vector512<float> c0 = a0, c1 = a0, c2 = a0, c3 = a0, d0 = a0, d1 = a0, d2 = a0, d3 = a0;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            for (int j = 4; j < 8; j++) Prefetch(wf, wb, row + j * (long)n + i);   // the next tile's rows
            var w0 = Load512(wf, wb, row + i);
            var w1 = Load512(wf, wb, row + n + i);
            var w2 = Load512(wf, wb, row + 2L * n + i);
            var w3 = Load512(wf, wb, row + 3L * n + i);
            var v = Vector512.Load(x0 + i);
            a0 = Vector512.FusedMultiplyAdd(w0, v, a0); b0 = Vector512.FusedMultiplyAdd(w1, v, b0);
            c0 = Vector512.FusedMultiplyAdd(w2, v, c0); d0 = Vector512.FusedMultiplyAdd(w3, v, d0);
            v = Vector512.Load(x1 + i);
            a1 = Vector512.FusedMultiplyAdd(w0, v, a1); b1 = Vector512.FusedMultiplyAdd(w1, v, b1);
            c1 = Vector512.FusedMultiplyAdd(w2, v, c1); d1 = Vector512.FusedMultiplyAdd(w3, v, d1);
            v = Vector512.Load(x2 + i);
            a2 = Vector512.FusedMultiplyAdd(w0, v, a2); b2 = Vector512.FusedMultiplyAdd(w1, v, b2);
            c2 = Vector512.FusedMultiplyAdd(w2, v, c2); d2 = Vector512.FusedMultiplyAdd(w3, v, d2);
            v = Vector512.Load(x3 + i);
            a3 = Vector512.FusedMultiplyAdd(w0, v, a3); b3 = Vector512.FusedMultiplyAdd(w1, v, b3);
            c3 = Vector512.FusedMultiplyAdd(w2, v, c3); d3 = Vector512.FusedMultiplyAdd(w3, v, d3);
        }
        Sum4(a0, a1, a2, a3, sums);
        Sum4(b0, b1, b2, b3, sums + 4);
        Sum4(c0, c1, c2, c3, sums + 8);
        Sum4(d0, d1, d2, d3, sums + 12);
        for (int j = 0; j < 4; j++) Tail(x, 4, wf, wb, row + (long)j * n, i, n, sums + j * 4);
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

    /// <summary>s[r] for four 512-bit accumulators: each reduced to its sum (pairs folded together first, so the four
    /// reductions share their shuffles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Sum4(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3, float* s)
    {
        // 512 → 256: add the halves of each; then the four ymm sums.
        var h0 = a0.GetLower() + a0.GetUpper();
        var h1 = a1.GetLower() + a1.GetUpper();
        var h2 = a2.GetLower() + a2.GetUpper();
        var h3 = a3.GetLower() + a3.GetUpper();
        (s[0], s[1], s[2], s[3]) = (Vector256.Sum(h0), Vector256.Sum(h1), Vector256.Sum(h2), Vector256.Sum(h3));
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
