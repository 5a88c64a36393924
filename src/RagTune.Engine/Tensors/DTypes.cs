// Sizes and file names of DType values ("F32", "BF16", … exactly as safetensors headers spell them).
namespace RagTune.Engine.Tensors;

public static class DTypes
{
    public static int SizeOf(DType dtype) => dtype switch
    {
        DType.Bool or DType.U8 or DType.I8 or DType.F8_E4M3 or DType.F8_E5M2 => 1,
        DType.I16 or DType.U16 or DType.F16 or DType.BF16 => 2,
        DType.I32 or DType.U32 or DType.F32 => 4,
        DType.F64 or DType.I64 or DType.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a DType"),
    };

    public static string Name(DType dtype) => dtype switch
    {
        DType.Bool => "BOOL",
        DType.U8 => "U8",
        DType.I8 => "I8",
        DType.I16 => "I16",
        DType.U16 => "U16",
        DType.F16 => "F16",
        DType.BF16 => "BF16",
        DType.I32 => "I32",
        DType.U32 => "U32",
        DType.F32 => "F32",
        DType.F64 => "F64",
        DType.I64 => "I64",
        DType.U64 => "U64",
        DType.F8_E4M3 => "F8_E4M3",
        DType.F8_E5M2 => "F8_E5M2",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a DType"),
    };

    /// <summary>Parses a safetensors dtype name; case-sensitive like the reference's serde enum.</summary>
    public static DType Parse(string hfName) => TryParse(hfName, out var dtype)
        ? dtype
        : throw new EngineException($"unknown dtype '{hfName}'; expected one of {string.Join(", ", All.Select(Name))}");

    public static bool TryParse(string? hfName, out DType dtype)
    {
        foreach (var candidate in All)
        {
            if (Name(candidate) == hfName)
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>True for the dtypes ReadFloat32 converts: F32, F16, BF16, F64.</summary>
    public static bool IsConvertibleToFloat32(DType dtype) =>
        dtype is DType.F32 or DType.F16 or DType.BF16 or DType.F64;

    /// <summary>Product of a shape's dimensions, overflow-checked (1 for a scalar).</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long count = 1;
        foreach (var d in shape)
            count = checked(count * d);
        return count;
    }

    internal static readonly DType[] All = Enum.GetValues<DType>();
}
