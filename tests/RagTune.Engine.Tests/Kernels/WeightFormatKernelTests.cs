// Kernels over bf16 and Q8 weights against their naive twins, and Q8 quantisation against hand-computed blocks.
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;

namespace RagTune.Engine.Tests.Kernels;

public class WeightFormatKernelTests
{
    private static ushort[] ToBF16(float[] w)
    {
        var bits = new ushort[w.Length];
        ReducedPrecision.FloatToBF16(w, bits);
        return bits;
    }

    private static float[] FromBF16(ushort[] bits)
    {
        var w = new float[bits.Length];
        ReducedPrecision.BF16ToFloat(bits, w);
        return w;
    }

    [Theory]
    [InlineData(1, 64, 4)]
    [InlineData(1, 67, 13)]
    [InlineData(3, 300, 211)]
    [InlineData(2, 1000, 130)]
    [InlineData(1, 896, 151)]
    [InlineData(1, 4864, 33)]
    [InlineData(1, 67, 13, true)]
    [InlineData(2, 896, 130, true)]
    public void BF16_matvec_agrees_with_naive(int rows, int inDim, int outDim, bool shiftWiden = false)
    {
        var x = Random(rows * inDim, 1);
        var w = ToBF16(Random(outDim * inDim, 2));
        var b = Random(outDim, 3);
        var fast = new float[rows * outDim];
        var slow = new float[rows * outDim];
        if (shiftWiden) MatVecBF16.ForwardShiftWiden(x, w, b, fast, rows, inDim, outDim);
        else MatVecBF16.Forward(x, w, b, fast, rows, inDim, outDim);
        MatVecBF16.ForwardNaive(x, w, b, slow, rows, inDim, outDim);
        AssertClose(slow, fast, 2e-5f * MathF.Sqrt(inDim));
    }

    [Theory]
    [InlineData(7, 17, 9)]
    [InlineData(13, 50, 300)]
    [InlineData(40, 33, 520)]
    [InlineData(12, 64, 40)]
    public void BF16_gemm_equals_float_gemm_on_widened_weights(int m, int n, int k)
    {
        var a = Random(m * k, 4);
        var wb = ToBF16(Random(n * k, 5));
        var bias = Random(n, 6);
        var slow = new float[m * n];
        Gemm.Naive(a, k, 1, FromBF16(wb), 1, k, slow, n, m, n, k, bias: bias);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var fast = new float[m * n];
                Gemm.MultiplyTransB(a, k, wb, k, fast, n, m, n, k, bias: bias);
                AssertClose(slow, fast, 2e-5f * MathF.Sqrt(k));
            }
    }

    [Fact]
    public void Q8_quantises_a_block_to_max_over_127()
    {
        var v = new float[32];
        for (int i = 0; i < 32; i++) v[i] = (i - 16) / 8f;  // -2 … 1.875, max |v| = 2
        var q = new sbyte[32];
        var s = new float[1];
        Q8.Quantize(v, q, s);
        Assert.Equal(2f / 127f, s[0]);
        Assert.Equal(-127, q[0]);                       // -2 / (2/127)
        Assert.Equal(0, q[16]);
        Assert.Equal((sbyte)MathF.Round(1.875f * 127 / 2), q[31]);
        var back = new float[32];
        Q8.Dequantize(q, s, back);
        for (int i = 0; i < 32; i++) Assert.True(Math.Abs(back[i] - v[i]) <= s[0] / 2 + 1e-7f);
    }

    [Fact]
    public void Q8_vector_quantiser_is_bit_identical_to_the_scalar_one()
    {
        var x = Random(32 * 40, 11, 3f);
        for (int i = 0; i < 31; i++) x[i] = i - 15.5f;  // with x[31] = 127 the scale is exactly 1: every value a .5 tie
        x[31] = 127f;
        for (int i = 64; i < 96; i++) x[i] = 0f;          // a zero block: scale 0, values 0
        var (scalarValues, scalarScales) = (new sbyte[x.Length], new float[x.Length / 32]);
        var (vectorValues, vectorScales) = (new sbyte[x.Length], new float[x.Length / 32]);
        Q8.Quantize(x, scalarValues, scalarScales);
        Q8.QuantizeRow(x, vectorValues, vectorScales);
        Assert.Equal(scalarScales, vectorScales);
        Assert.Equal(scalarValues, vectorValues);
    }

    [Fact]
    public unsafe void Q8_sign_split_gives_the_magnitude_and_a_mask_of_the_negative_values()
    {
        // 37 values: one 32-wide vector step and a scalar tail of 5, covering −127, −1, 0, 1 and 127 in both.
        var v = new sbyte[37];
        for (int i = 0; i < v.Length; i++) v[i] = (sbyte)((i * 53 % 255) - 127);
        (v[0], v[1], v[2], v[33], v[34], v[35], v[36]) = (-127, 0, 127, -1, 0, 1, -127);
        var abs = new sbyte[v.Length];
        var negative = new sbyte[v.Length];
        fixed (sbyte* pv = v, pa = abs, pn = negative) Q8.SplitSigns(pv, v.Length, pa, pn);
        for (int i = 0; i < v.Length; i++)
        {
            Assert.Equal(Math.Abs((int)v[i]), abs[i]);
            Assert.Equal(v[i] < 0 ? -1 : 0, negative[i]);
        }
    }

    [Fact]
    public void Q8_zero_block_has_zero_scale()
    {
        var q = new sbyte[32];
        var s = new float[] { 1 };
        Q8.Quantize(new float[32], q, s);
        Assert.Equal(0f, s[0]);
        Assert.All(q, v => Assert.Equal(0, v));
    }

    [Theory]
    [InlineData(1, 32, 5)]
    [InlineData(1, 96, 130)]
    [InlineData(3, 896, 67)]
    public void Q8_matvec_agrees_with_naive(int rows, int inDim, int outDim)
    {
        var x = Random(rows * inDim, 7);
        var (values, scales) = Quantized(Random(outDim * inDim, 8));
        var b = Random(outDim, 9);
        var fast = new float[rows * outDim];
        var slow = new float[rows * outDim];
        Q8.Forward(x, values, scales, b, fast, rows, inDim, outDim);
        Q8.ForwardNaive(x, values, scales, b, slow, rows, inDim, outDim);
        AssertClose(slow, fast, 1e-5f * MathF.Sqrt(inDim));
    }

    [Fact]
    public void Q8_matvec_is_close_to_float_matvec()
    {
        int inDim = 256, outDim = 64;
        var x = Random(inDim, 10);
        var w = Random(outDim * inDim, 11);
        var (values, scales) = Quantized(w);
        var q = new float[outDim];
        var f = new float[outDim];
        Q8.Forward(x, values, scales, [], q, 1, inDim, outDim);
        MatMul.ForwardNaive(x, w, [], f, 1, inDim, outDim);
        // Rounding moves each w by ≤ sw/2 and each x by ≤ sx/2, so |Δ(x·w)| ≤ |x|·sw/2 + |w|·sx/2 + sx·sw/4 per element.
        var xq = new sbyte[inDim];
        var xs = new float[inDim / Q8.BlockSize];
        Q8.Quantize(x, xq, xs);
        for (int o = 0; o < outDim; o++)
        {
            double bound = 1e-4;
            for (int i = 0; i < inDim; i++)
            {
                float sw = scales[(o * inDim + i) / Q8.BlockSize], sx = xs[i / Q8.BlockSize];
                bound += Math.Abs(x[i]) * sw / 2 + Math.Abs(w[o * inDim + i]) * sx / 2 + sx * sw / 4;
            }
            Assert.True(Math.Abs(q[o] - f[o]) <= bound, $"row {o}: {q[o]} vs {f[o]}, bound {bound}");
        }
    }

    [Theory]
    [InlineData(7, 17, 64)]
    [InlineData(20, 48, 288)]
    public void Q8_gemm_equals_the_naive_q8_product(int m, int n, int k)
    {
        // Prefill with Q8 weights quantises the activation rows too, exactly as decoding does (Q8.Forward).
        var a = Random(m * k, 12);
        var (values, scales) = Quantized(Random(n * k, 13));
        var bias = Random(n, 14);
        var fast = new float[m * n];
        var slow = new float[m * n];
        Gemm.MultiplyTransB(a, k, values, scales, fast, n, m, n, k, bias: bias);
        Q8.ForwardNaive(a, values, scales, bias, slow, m, k, n);
        AssertClose(slow, fast, 2e-5f * MathF.Sqrt(k));
    }

    [Fact]
    public void Q8_rejects_a_row_length_that_is_not_a_multiple_of_32()
    {
        var e = Assert.Throws<ArgumentException>(() => Q8.Forward(new float[40], new sbyte[40], new float[2], [], new float[1], 1, 40, 1));
        Assert.Contains("multiple of 32", e.Message);
    }

    internal static (sbyte[] Values, float[] Scales) Quantized(float[] w)
    {
        var values = new sbyte[w.Length];
        var scales = new float[w.Length / Q8.BlockSize];
        Q8.Quantize(w, values, scales);
        return (values, scales);
    }
}
