// Half and bfloat16 conversions: exhaustive round trips, ties to even, NaN/Inf/subnormals.
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Tensors;

public sealed class ReducedPrecisionTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Every_16_bit_value_survives_a_round_trip_through_float(bool bfloat16)
    {
        Func<ushort, float> widen = bfloat16 ? ReducedPrecision.BF16ToFloat : ReducedPrecision.HalfToFloat;
        Func<float, ushort> narrow = bfloat16 ? ReducedPrecision.FloatToBF16 : ReducedPrecision.FloatToHalf;
        for (int b = 0; b <= ushort.MaxValue; b++)
        {
            float f = widen((ushort)b);
            ushort back = narrow(f);
            if (float.IsNaN(f))
                Assert.True(float.IsNaN(widen(back)));
            else
                Assert.Equal((ushort)b, back);
        }
    }

    [Theory]
    // Exactly halfway cases go to the even mantissa; just above halfway rounds up.
    [InlineData(0x3F808000u, (ushort)0x3F80)]
    [InlineData(0x3F818000u, (ushort)0x3F82)]
    [InlineData(0x3F808001u, (ushort)0x3F81)]
    [InlineData(0x3F807FFFu, (ushort)0x3F80)]
    // The largest float rounds up to Inf; the smallest subnormal float rounds to zero; a bf16 subnormal stays.
    [InlineData(0x7F7FFFFFu, (ushort)0x7F80)]
    [InlineData(0x00000001u, (ushort)0x0000)]
    [InlineData(0x00010000u, (ushort)0x0001)]
    [InlineData(0x80000000u, (ushort)0x8000)]
    [InlineData(0xFF800000u, (ushort)0xFF80)]
    public void Float_to_bf16_rounds_to_nearest_even(uint floatBits, ushort expected) =>
        Assert.Equal(expected, ReducedPrecision.FloatToBF16(BitConverter.UInt32BitsToSingle(floatBits)));

    [Fact]
    public void Bf16_nan_stays_nan_even_when_its_payload_is_in_the_low_bits()
    {
        // A signalling NaN whose payload is only in the low 16 bits would truncate to Inf without the quiet bit.
        float nan = BitConverter.UInt32BitsToSingle(0x7F800001);
        Assert.True(float.IsNaN(nan));
        Assert.True(float.IsNaN(ReducedPrecision.BF16ToFloat(ReducedPrecision.FloatToBF16(nan))));
        Assert.Equal((ushort)0xFFC0, ReducedPrecision.FloatToBF16(BitConverter.UInt32BitsToSingle(0xFFC00000)));
    }

    [Theory]
    [InlineData(65504f, (ushort)0x7BFF)]
    [InlineData(65519.99f, (ushort)0x7BFF)]
    [InlineData(65520f, (ushort)0x7C00)]
    [InlineData(5.9604645e-8f, (ushort)0x0001)]
    [InlineData(2.9802322e-8f, (ushort)0x0000)]
    [InlineData(8.940697e-8f, (ushort)0x0002)]
    [InlineData(6.097555e-5f, (ushort)0x03FF)]
    [InlineData(1.0009765625f, (ushort)0x3C01)]
    [InlineData(1.00048828125f, (ushort)0x3C00)]
    [InlineData(1.00146484375f, (ushort)0x3C02)]
    public void Float_to_half_rounds_to_nearest_even(float value, ushort expected) =>
        Assert.Equal(expected, ReducedPrecision.FloatToHalf(value));

    [Fact]
    public void Span_conversions_agree_with_the_scalar_ones()
    {
        var source = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i) * MathF.Pow(10, i % 9 - 4)).ToArray();
        var bf16 = new ushort[source.Length];
        var half = new ushort[source.Length];
        ReducedPrecision.FloatToBF16(source, bf16);
        ReducedPrecision.FloatToHalf(source, half);
        var backBf16 = new float[source.Length];
        var backHalf = new float[source.Length];
        ReducedPrecision.BF16ToFloat(bf16, backBf16);
        ReducedPrecision.HalfToFloat(half, backHalf);
        for (int i = 0; i < source.Length; i++)
        {
            Assert.Equal(ReducedPrecision.FloatToBF16(source[i]), bf16[i]);
            Assert.Equal(ReducedPrecision.FloatToHalf(source[i]), half[i]);
            Assert.Equal(ReducedPrecision.BF16ToFloat(bf16[i]), backBf16[i]);
            Assert.Equal(ReducedPrecision.HalfToFloat(half[i]), backHalf[i]);
        }
        Assert.Throws<ArgumentException>(() => ReducedPrecision.FloatToBF16(source, new ushort[3]));
    }
}
