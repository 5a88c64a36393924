// Q8_0-style int8 weights, as llama.cpp's Q8_0: each row cut into blocks of 32 values, each block stored as 32 int8
// (round(v / s)) and one float32 scale s = max|v| / 127. Decoding quantises the activation row the same way and
// takes int8·int8 dot products with AVX2 (vpmaddubsw on |x| and sign(w, x), then vpmaddwd), scaled per block:
// a quarter of float32's bytes to stream. Prefill does the same arithmetic as an int8 GEMM (GemmQ8.cs).
// For the 512-bit path the activation's signs are split off once per row (SplitSigns: |x| and a mask of −1 where
// x < 0), so that each weight row pays no abs per block and (no vpsignb on zmm) one xor and one subtract, (w ⊕ m) − m,
// to take x's sign instead of a compare, a negate and a blend. The 256-bit path keeps abs + vpsignb on x itself.
// The 512-bit decode path (KernelDispatch) takes two blocks per zmm with AVX-512 BW's vpmaddubsw/vpmaddwd, and per eight
// blocks folds the four registers' int32 lanes into the eight block sums (three rounds of two-source permutes and adds)
// so that the scales x_s·w_s of eight blocks are one vector multiply and one FMA, not a scalar product and broadcast per
// block. (vpdpbusd on zmm, AVX512_VNNI, would fuse the two multiply-adds, but .NET 10 exposes VNNI only as the 256-bit
// AvxVnni; on the 256-bit path it was tried and measured no faster on this loaded VM, so that path keeps vpsignb.)
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class Q8
{
    public const int BlockSize = 32;

    /// <summary>Quantises <paramref name="source"/> (a multiple of 32 values, row after row) into int8 values and one
    /// scale per block.</summary>
    public static void Quantize(ReadOnlySpan<float> source, Span<sbyte> values, Span<float> scales)
    {
        if (source.Length % BlockSize != 0 || values.Length < source.Length || scales.Length < source.Length / BlockSize)
            throw new ArgumentException($"Q8 quantise: {source.Length} values (need a multiple of {BlockSize}), {values.Length} int8, {scales.Length} scales");
        for (int b = 0; b < source.Length / BlockSize; b++)
        {
            var block = source.Slice(b * BlockSize, BlockSize);
            float amax = 0;
            foreach (var v in block) amax = Math.Max(amax, Math.Abs(v));
            float scale = amax / 127f, inverse = scale == 0 ? 0 : 1 / scale;
            scales[b] = scale;
            for (int i = 0; i < BlockSize; i++)
                values[b * BlockSize + i] = (sbyte)Math.Clamp(MathF.Round(block[i] * inverse), -127, 127);
        }
    }

    /// <summary>As <see cref="Quantize"/>, vectorised for the activation row of every decode product (it runs on the
    /// dispatching thread, ~7,500 values per layer): the same float operations in the same order, so bit-identical.</summary>
    internal static void QuantizeRow(ReadOnlySpan<float> source, Span<sbyte> values, Span<float> scales)
    {
        if (!Avx2.IsSupported)
        {
            Quantize(source, values, scales);
            return;
        }
        if (source.Length % BlockSize != 0 || values.Length < source.Length || scales.Length < source.Length / BlockSize)
            throw new ArgumentException($"Q8 quantise: {source.Length} values (need a multiple of {BlockSize}), {values.Length} int8, {scales.Length} scales");
        var low = Vector256.Create(-127f);
        var high = Vector256.Create(127f);
        var order = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);  // undoes the in-lane interleaving of the two packs
        fixed (float* x = source, s = scales)
        fixed (sbyte* v = values)
            for (int b = 0; b < source.Length / BlockSize; b++)
            {
                float* p = x + b * BlockSize;
                Vector256<float> v0 = Vector256.Load(p), v1 = Vector256.Load(p + 8), v2 = Vector256.Load(p + 16), v3 = Vector256.Load(p + 24);
                var m = Vector256.Max(Vector256.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Vector256.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
                var m4 = Vector128.Max(m.GetLower(), m.GetUpper());
                m4 = Vector128.Max(m4, Sse.Shuffle(m4, m4, 0b01_00_11_10));
                m4 = Vector128.Max(m4, Sse.Shuffle(m4, m4, 0b10_11_00_01));
                float scale = m4.ToScalar() / 127f, inverse = scale == 0 ? 0 : 1 / scale;
                s[b] = scale;
                var inv = Vector256.Create(inverse);
                var i0 = ToInt(v0, inv, low, high);
                var i1 = ToInt(v1, inv, low, high);
                var i2 = ToInt(v2, inv, low, high);
                var i3 = ToInt(v3, inv, low, high);
                var bytes = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(i0, i1), Avx2.PackSignedSaturate(i2, i3));
                Avx.Store(v + b * BlockSize, Avx2.PermuteVar8x32(bytes.AsInt32(), order).AsSByte());
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> ToInt(Vector256<float> v, Vector256<float> inverse, Vector256<float> low, Vector256<float> high)
        => Avx.ConvertToVector256Int32WithTruncation(Vector256.Min(Vector256.Max(Avx.RoundToNearestInteger(v * inverse), low), high));

    /// <summary>abs[i] = |v[i]| and negative[i] = −1 where v[i] &lt; 0, else 0, for the int8 activation of a product
    /// (<see cref="Rows"/>): the kernels' per-row sign transfer is then (w ⊕ m) − m. |v| ≤ 127, so no overflow.</summary>
    internal static void SplitSigns(sbyte* v, int n, sbyte* abs, sbyte* negative)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<sbyte>.Count <= n; i += Vector256<sbyte>.Count)
            {
                var x = Vector256.Load(v + i);
                Vector256.Abs(x).Store(abs + i);
                Vector256.LessThan(x, Vector256<sbyte>.Zero).Store(negative + i);
            }
        for (; i < n; i++)
        {
            abs[i] = (sbyte)Math.Abs(v[i]);
            negative[i] = (sbyte)(v[i] < 0 ? -1 : 0);
        }
    }

    /// <summary>value × scale for every element.</summary>
    public static void Dequantize(ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = values[i] * scales[i / BlockSize];
    }

    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] + b[o] with W [Out, In] in Q8 (In a multiple of 32), x quantised per block
    /// to int8 first. Output rows split across the pool. Allocates only on a thread's first call (scratch for x).</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int inDim, int outDim, WorkerPool? pool = null)
    {
        CheckShapes(x, values, scales, bias, y, rows, inDim, outDim);
        var job = Job.ForThisThread;
        int blocks = inDim / BlockSize;
        if (job.XValues.Length < rows * inDim)
        {
            job.XValues = GC.AllocateArray<sbyte>(rows * inDim, pinned: true);
            job.XAbs = GC.AllocateArray<sbyte>(rows * inDim, pinned: true);
            job.XNegative = GC.AllocateArray<sbyte>(rows * inDim, pinned: true);
            job.XScales = GC.AllocateArray<float>(rows * blocks, pinned: true);
        }
        QuantizeRow(x[..(rows * inDim)], job.XValues, job.XScales);
        fixed (sbyte* pw = values, pxv = job.XValues, pxa = job.XAbs, pxn = job.XNegative)
        fixed (float* ps = scales, pxs = job.XScales, pb = bias, py = y)
        {
            job.Wide = KernelDispatch.Width == VectorWidth.Bits512;
            if (job.Wide) SplitSigns(pxv, rows * inDim, pxa, pxn);  // only the 512-bit row reads the split
            job.W = pw; job.WS = ps; job.XV = pxv; job.XA = pxa; job.XN = pxn; job.XS = pxs; job.B = pb; job.Y = py;
            (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
            if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
            job.W = job.XV = job.XA = job.XN = null;
            job.WS = job.XS = job.B = job.Y = null;
        }
    }

    /// <summary>The oracle: the same quantised x, plain integer dot products per block, accumulated in double.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int inDim, int outDim)
    {
        CheckShapes(x, values, scales, bias, y, rows, inDim, outDim);
        int blocks = inDim / BlockSize;
        var xv = new sbyte[rows * inDim];
        var xs = new float[rows * blocks];
        Quantize(x[..(rows * inDim)], xv, xs);
        for (int t = 0; t < rows; t++)
            for (int o = 0; o < outDim; o++)
            {
                double s = bias.IsEmpty ? 0 : bias[o];
                for (int b = 0; b < blocks; b++)
                {
                    int dot = 0;
                    for (int i = 0; i < BlockSize; i++)
                        dot += xv[t * inDim + b * BlockSize + i] * values[o * inDim + b * BlockSize + i];
                    s += (double)dot * xs[t * blocks + b] * scales[o * blocks + b];
                }
                y[t * outDim + o] = (float)s;
            }
    }

    private static void CheckShapes(ReadOnlySpan<float> x, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int inDim, int outDim)
    {
        if (inDim % BlockSize != 0 || x.Length < (long)rows * inDim || values.Length < (long)outDim * inDim
            || scales.Length < (long)outDim * inDim / BlockSize || y.Length < (long)rows * outDim || (!bias.IsEmpty && bias.Length < outDim))
            throw new ArgumentException(
                $"Q8 shapes: In {inDim} (need a multiple of {BlockSize}), x {x.Length} (need {rows}x{inDim}), W {values.Length} values / {scales.Length} scales " +
                $"(need {outDim}x{inDim}), b {bias.Length}, y {y.Length} (need {rows}x{outDim})");
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public sbyte[] XValues = [], XAbs = [], XNegative = [];
        public float[] XScales = [];
        public sbyte* W, XV, XA, XN;
        public float* WS, XS, B, Y;
        public int Rows, In, Out;
        public bool Wide;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: 4);
            int blocks = In / BlockSize;
            for (int t = 0; t < Rows; t++)
                Q8.Rows(XV + (long)t * In, XA + (long)t * In, XN + (long)t * In, XS + (long)t * blocks, W, WS, B, In, o0, o1, Y + (long)t * Out + o0, Wide);
        }
    }

    /// <summary>dst[o − o0] = W[o]·x + b[o] for o in [o0, o1), x already quantised and split by <see cref="SplitSigns"/>
    /// (x in <paramref name="xv"/>, |x| in <paramref name="xa"/>, the negative mask in <paramref name="xn"/>, a scale per block). One
    /// row after another: a single sequential stream is what the hardware prefetcher serves best from DRAM (measured:
    /// 1.5× the GB/s of four interleaved short rows, which end before the prefetcher has ramped up).</summary>
    internal static void Rows(sbyte* xv, sbyte* xa, sbyte* xn, float* xs, sbyte* w, float* ws, float* bias, int n, int o0, int o1, float* dst, bool wide)
    {
        int blocks = n / BlockSize;
        sbyte* end = w + (long)o1 * n;
        float* scalesEnd = ws + (long)o1 * blocks;
        for (int o = o0; o < o1; o++)
        {
            sbyte* row = w + (long)o * n;
            float* scales = ws + (long)o * blocks;
            StreamPrefetch.Ahead(row, n, end);
            StreamPrefetch.Ahead(scales, blocks * sizeof(float), scalesEnd);
            dst[o - o0] = (wide ? DotWide(xa, xn, xs, row, scales, blocks) : Dot(xv, xs, row, scales, blocks)) + (bias != null ? bias[o] : 0f);
        }
    }

    // vpermt2d indices: the even and the odd lanes of two registers laid end to end.
    private static readonly Vector512<int> Evens = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    private static readonly Vector512<int> Odds = Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);

    /// <summary>The 512-bit form of <see cref="Dot"/>: two blocks per register, eight per step with the eight block sums
    /// gathered into one vector (<see cref="Fold"/>) and scaled together; then pairs, then an odd last block on the
    /// 256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotWide(sbyte* xa, sbyte* xn, float* xs, sbyte* wv, float* ws, int blocks)
    {
        var ones = Vector512.Create((short)1);
        var evens = Evens;
        var odds = Odds;
        Vector256<float> acc8 = Vector256<float>.Zero;
        int b = 0;
        for (; b + 8 <= blocks; b += 8)
        {
            int e = b * BlockSize;
            var sums = Fold(
                BlockDot2(xa + e, xn + e, wv + e, ones), BlockDot2(xa + e + 64, xn + e + 64, wv + e + 64, ones),
                BlockDot2(xa + e + 128, xn + e + 128, wv + e + 128, ones), BlockDot2(xa + e + 192, xn + e + 192, wv + e + 192, ones),
                evens, odds);
            acc8 = Fma.MultiplyAdd(Avx.ConvertToVector256Single(sums), Vector256.Load(xs + b) * Vector256.Load(ws + b), acc8);
        }
        Vector512<float> acc = Vector512<float>.Zero;
        for (; b + 2 <= blocks; b += 2)
            acc = Avx512F.FusedMultiplyAdd(Avx512F.ConvertToVector512Single(BlockDot2(xa + b * BlockSize, xn + b * BlockSize, wv + b * BlockSize, ones)),
                Scales2(xs + b, ws + b), acc);
        float s = Vector256.Sum(acc8) + Vector512.Sum(acc);
        if (b < blocks)
        {
            int e = b * BlockSize;
            var m = Vector256.Load(xn + e);
            var pairs = Avx2.MultiplyAddAdjacent(Vector256.Load(xa + e).AsByte(), (Vector256.Load(wv + e) ^ m) - m);
            s += Vector256.Sum(Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(pairs, Vector256.Create((short)1))) * Vector256.Create(xs[b] * ws[b]));
        }
        return s;
    }

    /// <summary>The eight block sums of four registers of <see cref="BlockDot2"/> (each: eight lanes of block 2i, eight of
    /// block 2i+1), in block order: pairs of lanes added across two registers at a time, three times over.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Fold(Vector512<int> d0, Vector512<int> d1, Vector512<int> d2, Vector512<int> d3,
        Vector512<int> evens, Vector512<int> odds)
    {
        // After each round lane j of the result holds the sum of lanes 2j and 2j+1 of (a, b) laid end to end.
        var p = Avx512F.PermuteVar16x32x2(d0, evens, d1) + Avx512F.PermuteVar16x32x2(d0, odds, d1);  // 4 lanes per block 0–3
        var q = Avx512F.PermuteVar16x32x2(d2, evens, d3) + Avx512F.PermuteVar16x32x2(d2, odds, d3);  // 4 lanes per block 4–7
        var r = Avx512F.PermuteVar16x32x2(p, evens, q) + Avx512F.PermuteVar16x32x2(p, odds, q);      // 2 lanes per block 0–7
        return (Avx512F.PermuteVar16x32x2(r, evens, r) + Avx512F.PermuteVar16x32x2(r, odds, r)).GetLower();
    }

    /// <summary>Eight partial int32 sums of each of two adjacent blocks (lanes 0–7 the first, 8–15 the second).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> BlockDot2(sbyte* xa, sbyte* xn, sbyte* w, Vector512<short> ones)
    {
        var m = Vector512.Load(xn);
        var signed = (Vector512.Load(w) ^ m) - m;
        var pairs = Avx512BW.MultiplyAddAdjacent(Vector512.Load(xa).AsByte(), signed);
        return Avx512BW.MultiplyAddAdjacent(pairs, ones);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Scales2(float* xs, float* ws)
        => Vector512.Create(Vector256.Create(xs[0] * ws[0]), Vector256.Create(xs[1] * ws[1]));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(sbyte* xv, float* xs, sbyte* wv, float* ws, int blocks)
    {
        int b = 0;
        float s = 0;
        if (Avx2.IsSupported)
        {
            var ones = Vector256.Create((short)1);
            Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
            for (; b + 2 <= blocks; b += 2)
            {
                int e = b * BlockSize;
                acc0 = MatMul.MulAdd(BlockDot(xv + e, wv + e, ones), Vector256.Create(xs[b] * ws[b]), acc0);
                acc1 = MatMul.MulAdd(BlockDot(xv + e + BlockSize, wv + e + BlockSize, ones), Vector256.Create(xs[b + 1] * ws[b + 1]), acc1);
            }
            for (; b < blocks; b++)
                acc0 = MatMul.MulAdd(BlockDot(xv + b * BlockSize, wv + b * BlockSize, ones), Vector256.Create(xs[b] * ws[b]), acc0);
            return Vector256.Sum(acc0 + acc1);
        }
        for (; b < blocks; b++)
        {
            int dot = 0;
            for (int i = 0; i < BlockSize; i++) dot += xv[b * BlockSize + i] * wv[b * BlockSize + i];
            s += dot * xs[b] * ws[b];
        }
        return s;
    }

    /// <summary>Eight partial int32 sums of a 32-value int8 dot product, as floats. vpmaddubsw multiplies unsigned by
    /// signed bytes, so x goes in as |x| and its sign moves onto w; |x|,|w| ≤ 127 keeps the int16 pair sums exact.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> BlockDot(sbyte* x, sbyte* w, Vector256<short> ones)
    {
        // |x| recomputed here rather than loaded from SplitSigns' copy: a third load stream made this 256-bit row 1.25×
        // slower per CPU-second (4864×896, one worker, idle: 145 against 116 µs); the split serves the 512-bit row only.
        var xv = Avx.LoadVector256(x);
        var pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(xv), Avx2.Sign(Avx.LoadVector256(w), xv));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(pairs, ones));
    }
}
