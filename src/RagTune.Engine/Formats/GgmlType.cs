// ggml's tensor types as GGUF numbers them (ggml.h, enum ggml_type), with the block layout of each: how many
// weights one block holds and how many bytes it takes. The reader, the writer and the quantised kernels share this one table.
namespace RagTune.Engine.Formats;

public enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
}

/// <summary>Block layouts (ggml.c's type_traits: blck_size and type_size) of the types RagTune reads or writes.</summary>
public static class GgmlTypes
{
    /// <summary>The super-block size of the K-quants (QK_K).</summary>
    public const int SuperBlock = 256;

    /// <summary>Weights per block and bytes per block, or false for a type RagTune does not handle.</summary>
    public static bool TryGetLayout(GgmlType type, out int blockWeights, out int blockBytes)
    {
        (blockWeights, blockBytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 => (1, 2),
            GgmlType.BF16 => (1, 2),
            GgmlType.Q4_0 => (32, 2 + 16),
            GgmlType.Q4_1 => (32, 2 + 2 + 16),
            GgmlType.Q5_0 => (32, 2 + 4 + 16),
            GgmlType.Q5_1 => (32, 2 + 2 + 4 + 16),
            GgmlType.Q8_0 => (32, 2 + 32),
            GgmlType.Q2_K => (SuperBlock, SuperBlock / 16 + SuperBlock / 4 + 2 + 2),
            GgmlType.Q3_K => (SuperBlock, SuperBlock / 8 + SuperBlock / 4 + 12 + 2),
            GgmlType.Q4_K => (SuperBlock, 2 + 2 + 12 + SuperBlock / 2),
            GgmlType.Q5_K => (SuperBlock, 2 + 2 + 12 + SuperBlock / 8 + SuperBlock / 2),
            GgmlType.Q6_K => (SuperBlock, SuperBlock / 2 + SuperBlock / 4 + SuperBlock / 16 + 2),
            GgmlType.Q8_K => (SuperBlock, 4 + SuperBlock + SuperBlock / 16 * 2),
            _ => (0, 0),
        };
        return blockWeights != 0;
    }

    /// <summary>The types a GGUF decoder's weights may hold (Kernels.GgmlQuants widens them, GgmlMatVec reads them in place).</summary>
    public static IReadOnlyList<GgmlType> Readable { get; } =
        [GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1,
         GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

    public static bool CanRead(GgmlType type) => Readable.Contains(type);

    /// <summary>Bytes that <paramref name="count"/> weights of <paramref name="type"/> take; the count must be a whole
    /// number of blocks.</summary>
    public static long ByteCount(GgmlType type, long count)
    {
        if (!TryGetLayout(type, out int weights, out int bytes))
            throw new EngineException($"ggml type {type} ({(uint)type}) is not supported.");
        if (count % weights != 0)
            throw new EngineException($"{count} weights of ggml type {type} are not a whole number of {weights}-weight blocks.");
        return count / weights * bytes;
    }
}
