// Q8_0-style int8 weights, as llama.cpp's Q8_0: each row cut into blocks of 32 values, each block stored as 32 int8
// (round(v / s)) and one float32 scale s = max|v| / 127. Decoding quantises the activation row the same way and
// takes int8·int8 dot products with AVX2 (vpmaddubsw on |x| and sign(w, x), then vpmaddwd), scaled per block:
// a quarter of float32's bytes to stream. Prefill does the same arithmetic as an int8 GEMM (GemmQ8.cs).
// The 512-bit decode path (KernelDispatch) takes two blocks per zmm with AVX-512 BW's vpmaddubsw/vpmaddwd; AVX-512 has
// no vpsignb, so w's sign flip is a compare into a mask and a masked negate. (vpdpbusd on zmm, AVX512_VNNI, would fuse
// the two multiply-adds, but .NET 10 exposes VNNI only as the 256-bit AvxVnni, and on zmm not at all.)
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
            job.XScales = GC.AllocateArray<float>(rows * blocks, pinned: true);
        }
        QuantizeRow(x[..(rows * inDim)], job.XValues, job.XScales);
        fixed (sbyte* pw = values, pxv = job.XValues)
        fixed (float* ps = scales, pxs = job.XScales, pb = bias, py = y)
        {
            job.W = pw; job.WS = ps; job.XV = pxv; job.XS = pxs; job.B = pb; job.Y = py;
            job.Wide = KernelDispatch.Width == VectorWidth.Bits512;
            (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
            if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
            job.W = job.XV = null;
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
        public sbyte[] XValues = [];
        public float[] XScales = [];
        public sbyte* W, XV;
        public float* WS, XS, B, Y;
        public int Rows, In, Out;
        public bool Wide;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: 4);
            int blocks = In / BlockSize;
            for (int t = 0; t < Rows; t++)
                Q8.Rows(XV + (long)t * In, XS + (long)t * blocks, W, WS, B, In, o0, o1, Y + (long)t * Out + o0, Wide);
        }
    }

    /// <summary>dst[o − o0] = W[o]·x + b[o] for o in [o0, o1), x already quantised (values, a scale per block). One
    /// row after another: a single sequential stream is what the hardware prefetcher serves best from DRAM (measured:
    /// 1.5× the GB/s of four interleaved short rows, which end before the prefetcher has ramped up).</summary>
    internal static void Rows(sbyte* xv, float* xs, sbyte* w, float* ws, float* bias, int n, int o0, int o1, float* dst, bool wide)
    {
        int blocks = n / BlockSize;
        if (wide)
            for (int o = o0; o < o1; o++)
                dst[o - o0] = DotWide(xv, xs, w + (long)o * n, ws + (long)o * blocks, blocks) + (bias != null ? bias[o] : 0f);
        else
            for (int o = o0; o < o1; o++)
                dst[o - o0] = Dot(xv, xs, w + (long)o * n, ws + (long)o * blocks, blocks) + (bias != null ? bias[o] : 0f);
    }

    /// <summary>The 512-bit form of <see cref="Dot"/>: two blocks per register, four per step; an odd last block on
    /// the 256-bit path.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotWide(sbyte* xv, float* xs, sbyte* wv, float* ws, int blocks)
    {
        var ones = Vector512.Create((short)1);
        Vector512<float> acc0 = Vector512<float>.Zero, acc1 = acc0;
        int b = 0;
        for (; b + 4 <= blocks; b += 4)
        {
            acc0 = Avx512F.FusedMultiplyAdd(BlockDot2(xv + b * BlockSize, wv + b * BlockSize, ones), Scales2(xs + b, ws + b), acc0);
            acc1 = Avx512F.FusedMultiplyAdd(BlockDot2(xv + (b + 2) * BlockSize, wv + (b + 2) * BlockSize, ones), Scales2(xs + b + 2, ws + b + 2), acc1);
        }
        for (; b + 2 <= blocks; b += 2)
            acc0 = Avx512F.FusedMultiplyAdd(BlockDot2(xv + b * BlockSize, wv + b * BlockSize, ones), Scales2(xs + b, ws + b), acc0);
        float s = Vector512.Sum(acc0 + acc1);
        if (b < blocks)
            s += Vector256.Sum(BlockDot(xv + b * BlockSize, wv + b * BlockSize, Vector256.Create((short)1)) * Vector256.Create(xs[b] * ws[b]));
        return s;
    }

    /// <summary>Eight partial sums of each of two adjacent blocks (lanes 0–7 the first, 8–15 the second), as floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> BlockDot2(sbyte* x, sbyte* w, Vector512<short> ones)
    {
        var xv = Vector512.Load(x);
        var wv = Vector512.Load(w);
        var signed = Vector512.ConditionalSelect(Vector512.LessThan(xv, Vector512<sbyte>.Zero), Vector512<sbyte>.Zero - wv, wv);
        var pairs = Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(xv), signed);
        return Avx512F.ConvertToVector512Single(Avx512BW.MultiplyAddAdjacent(pairs, ones));
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
                acc0 = MatMul.MulAdd(BlockDot(xv + b * BlockSize, wv + b * BlockSize, ones), Vector256.Create(xs[b] * ws[b]), acc0);
                acc1 = MatMul.MulAdd(BlockDot(xv + (b + 1) * BlockSize, wv + (b + 1) * BlockSize, ones), Vector256.Create(xs[b + 1] * ws[b + 1]), acc1);
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
        var xv = Avx.LoadVector256(x);
        var wv = Avx.LoadVector256(w);
        var pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(xv), Avx2.Sign(wv, xv));
        return Avx.ConvertToVector256Single(Avx2.MultiplyAddAdjacent(pairs, ones));
    }
}
