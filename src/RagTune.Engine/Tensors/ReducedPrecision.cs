// Scalar and span conversions between float and the 16-bit formats (IEEE half, bfloat16), rounding to nearest even.
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace RagTune.Engine.Tensors;

public static class ReducedPrecision
{
    /// <summary>bfloat16 is the top half of a float32, so widening is exact.</summary>
    public static float BF16ToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds to nearest, ties to even (as PyTorch's c10::BFloat16); NaN stays a quiet NaN of the same sign.</summary>
    public static ushort FloatToBF16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
            return (ushort)((bits >> 16) | 0x0040);
        uint lsb = (bits >> 16) & 1;
        // Overflow of the rounding carry into the exponent yields Inf, which is the correctly rounded result.
        bits += 0x7FFFu + lsb;
        return (ushort)(bits >> 16);
    }

    public static float HalfToFloat(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    /// <summary>.NET's float→Half conversion is IEEE round-to-nearest-even, including subnormals and overflow to Inf.</summary>
    public static ushort FloatToHalf(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    public static void BF16ToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (int i = 0; i < source.Length; i++)
            destination[i] = BitConverter.Int32BitsToSingle(source[i] << 16);
    }

    public static void FloatToBF16(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckLengths(source.Length, destination.Length);
        for (int i = 0; i < source.Length; i++)
            destination[i] = FloatToBF16(source[i]);
    }

    public static void HalfToFloat(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        CheckLengths(source.Length, destination.Length);
        TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(source), destination);
    }

    public static void FloatToHalf(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        CheckLengths(source.Length, destination.Length);
        TensorPrimitives.ConvertToHalf(source, MemoryMarshal.Cast<ushort, Half>(destination));
    }

    private static void CheckLengths(int source, int destination)
    {
        if (source != destination)
            throw new ArgumentException($"destination has {destination} elements but the source has {source}");
    }
}
