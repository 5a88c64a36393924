// One tensor to be written to a safetensors file, with helpers that encode float32 data as F32, BF16 or F16.
using System.Runtime.InteropServices;

namespace RagTune.Engine.Tensors;

public sealed record SafeTensorEntry(string Name, DType DType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    public long ElementCount => DTypes.ElementCount(Shape);

    public static SafeTensorEntry FromFloat32(string name, float[] data, params long[] shape)
    {
        CheckShape(name, data.Length, shape);
        return new SafeTensorEntry(name, DType.F32, shape, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
    }

    /// <summary>Encodes as bfloat16, rounding to nearest even.</summary>
    public static SafeTensorEntry FromFloat32AsBF16(string name, float[] data, params long[] shape)
    {
        CheckShape(name, data.Length, shape);
        var bits = new ushort[data.Length];
        ReducedPrecision.FloatToBF16(data, bits);
        return new SafeTensorEntry(name, DType.BF16, shape, MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
    }

    /// <summary>Encodes as IEEE half, rounding to nearest even (overflow → ±Inf).</summary>
    public static SafeTensorEntry FromFloat32AsF16(string name, float[] data, params long[] shape)
    {
        CheckShape(name, data.Length, shape);
        var bits = new ushort[data.Length];
        ReducedPrecision.FloatToHalf(data, bits);
        return new SafeTensorEntry(name, DType.F16, shape, MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
    }

    private static void CheckShape(string name, int length, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
                throw new EngineException($"tensor '{name}': negative dimension in shape [{string.Join(", ", shape)}]");
            count = checked(count * d);
        }
        if (count != length)
            throw new EngineException($"tensor '{name}': shape [{string.Join(", ", shape)}] has {count} elements but the data has {length}");
    }
}
