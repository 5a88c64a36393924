// GgmlQuantizer: f16 rounding, block layouts and reconstruction error of each type, read back with GgmlQuants (itself
// checked tensor by tensor against gguf-py's dequantisers in Models/GgufFixtureTests). That the bytes are llama-quantize's
// own is proven on whole models in Export/GgufQuantizeFixtureTests.
using System.Buffers.Binary;
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using Xunit;

namespace RagTune.Engine.Tests.Formats;

public class GgmlQuantizerTests
{
    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    [Fact]
    public void F16_rounds_to_nearest_even()
    {
        float[] x = [1f + MathF.Pow(2, -11), 1f + 3 * MathF.Pow(2, -11), 65504f, 1e-8f, -2.5f, 70000f];
        var y = GgmlQuantizer.Quantize(GgmlType.F16, x, x.Length);
        ushort[] bits = Enumerable.Range(0, x.Length).Select(i => BinaryPrimitives.ReadUInt16LittleEndian(y.AsSpan(2 * i))).ToArray();
        Assert.Equal((ushort)0x3C00, bits[0]);  // halfway between 1 and 1+2^-10: ties to the even 1.0
        Assert.Equal((ushort)0x3C02, bits[1]);  // halfway between 1+2^-10 and 1+2^-9: ties to the even 1+2^-9
        Assert.Equal((ushort)0x7BFF, bits[2]);  // largest half
        Assert.Equal((ushort)0x0000, bits[3]);  // below half the smallest subnormal
        Assert.Equal((ushort)0xC100, bits[4]);
        Assert.Equal((ushort)0x7C00, bits[5]);  // overflow to infinity
    }

    [Fact]
    public void Q8_0_block_is_scale_and_rounded_ints()
    {
        var x = Enumerable.Range(0, 32).Select(j => (float)(j - 16)).ToArray();   // amax 16
        var y = GgmlQuantizer.Quantize(GgmlType.Q8_0, x, 32);
        Assert.Equal(34, y.Length);
        float d = 16f / 127, id = 1f / d;   // the scale is stored as f16; the quants use the float32 one
        Assert.Equal((Half)d, BinaryPrimitives.ReadHalfLittleEndian(y));
        for (int j = 0; j < 32; j++)
            Assert.Equal((sbyte)MathF.Round((j - 16) * id, MidpointRounding.AwayFromZero), (sbyte)y[2 + j]);
        Assert.Equal(-127, (sbyte)y[2]);
        Assert.Equal(119, (sbyte)y[2 + 31]);
    }

    // Uniform data over a block's range with b-bit quants: rounding error is uniform over one step (range / (2^b − 1)),
    // so rms error / rms value ≈ 1 / (2^b − 1): 0.4 % for 8 bits, 1.6 % for 6, 3.2 % for 5, 6.7 % for 4. The bound allows 25 %
    // over that (the scales themselves are rounded to f16 / 6 bits); a layout or sign mistake gives errors near 100 %.
    [Theory]
    [InlineData(GgmlType.Q8_0, 8)]
    [InlineData(GgmlType.Q6_K, 6)]
    [InlineData(GgmlType.Q5_0, 5)]
    [InlineData(GgmlType.Q4_K, 4)]
    public void Reconstruction_error_is_what_the_bit_width_allows(GgmlType type, int bits)
    {
        double maxRelativeRms = 1.25 / ((1 << bits) - 1);
        var x = Random(4 * 512, 7);
        var y = GgmlQuantizer.Quantize(type, x, 512);
        Assert.Equal(GgmlTypes.ByteCount(type, x.Length), y.Length);
        var back = new float[x.Length];
        GgmlQuants.Dequantize(type, y, back);
        double err = Math.Sqrt(x.Zip(back).Average(p => (p.First - p.Second) * (double)(p.First - p.Second)));
        double rms = Math.Sqrt(x.Average(v => (double)v * v));
        Assert.True(err / rms < maxRelativeRms, $"{type}: relative rms error {err / rms:G3}");
    }

    [Theory]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.Q5_0)]
    [InlineData(GgmlType.Q4_K)]
    [InlineData(GgmlType.Q6_K)]
    public void Zero_rows_stay_zero(GgmlType type)
    {
        var back = new float[512];
        GgmlQuants.Dequantize(type, GgmlQuantizer.Quantize(type, new float[512], 256), back);
        Assert.All(back, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Rows_that_are_not_whole_blocks_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => GgmlQuantizer.Quantize(GgmlType.Q4_K, new float[128], 128));
        Assert.Contains("256-weight blocks", e.Message);
        Assert.Throws<ArgumentException>(() => GgmlQuantizer.Quantize(GgmlType.Q8_0, new float[48], 48));
        Assert.Throws<ArgumentException>(() => GgmlQuantizer.Quantize(GgmlType.Q2_K, new float[256], 256));
    }
}
