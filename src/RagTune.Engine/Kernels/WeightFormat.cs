// How a model holds its projection and embedding matrices in memory; chosen at load (the CLI's --dtype / --quantize);
// GGUF files add their quantised block formats, read in place by the decode kernels.
using RagTune.Engine.Formats;

namespace RagTune.Engine.Kernels;

public enum WeightFormat
{
    /// <summary>As stored: F32 stays float32, BF16 stays bfloat16 (converted inside the kernels); F16 is widened to
    /// float32 at load (there is no F16C conversion in .NET's intrinsics, so f16 in the kernels would cost more than it saves).</summary>
    Checkpoint,

    /// <summary>float32: 4 bytes per weight, the reference for accuracy.</summary>
    F32,

    /// <summary>bfloat16 (F32/F16 checkpoints rounded to nearest even): 2 bytes per weight.</summary>
    BF16,

    /// <summary>Q8_0-style int8, blocks of 32 with a float32 scale (quantised at load): 1.125 bytes per weight.
    /// Matrices whose row length is not a multiple of 32 stay in float32.</summary>
    Q8,

    /// <summary>GGUF's Q4_0 blocks as stored in the file (32 weights, a half scale, offset 8): 4.5 bits per weight.</summary>
    Q4_0,

    /// <summary>GGUF's Q4_1 blocks as stored (32 weights, a half scale and a half min): 5 bits per weight.</summary>
    Q4_1,

    /// <summary>GGUF's Q5_0 blocks as stored (32 weights, a half scale, offset 16): 5.5 bits per weight; llama-quantize's
    /// stand-in for Q4_K in rows that are not whole 256-weight super-blocks (Qwen2.5-0.5B's 896).</summary>
    Q5_0,

    /// <summary>GGUF's Q5_1 blocks as stored (a half scale and a half min): 6 bits per weight; the stand-in for Q5_K.</summary>
    Q5_1,

    /// <summary>GGUF's Q4_K super-blocks as stored (256 weights, 6-bit scales and mins per 32): 4.5 bits per weight.
    /// Asked for at load (a 4-bit base for QLoRA), F32/BF16 matrices are quantised with ggml's reference quantiser: Q4_K
    /// where rows are whole 256-blocks, Q4_0 where they are whole 32-blocks, float32 otherwise; a GGUF keeps its own
    /// 4/5/6-bit blocks.</summary>
    Q4_K,

    /// <summary>GGUF's Q5_K super-blocks as stored: 5.5 bits per weight.</summary>
    Q5_K,

    /// <summary>GGUF's Q6_K super-blocks as stored (8-bit scales per 16 weights): 6.5625 bits per weight.</summary>
    Q6_K,
}

public static class WeightFormats
{
    /// <summary>The ggml type whose blocks <paramref name="format"/> holds as stored, or null for the engine's own formats.</summary>
    public static GgmlType? GgmlTypeOf(WeightFormat format) => format switch
    {
        WeightFormat.Q4_0 => GgmlType.Q4_0,
        WeightFormat.Q4_1 => GgmlType.Q4_1,
        WeightFormat.Q5_0 => GgmlType.Q5_0,
        WeightFormat.Q5_1 => GgmlType.Q5_1,
        WeightFormat.Q4_K => GgmlType.Q4_K,
        WeightFormat.Q5_K => GgmlType.Q5_K,
        WeightFormat.Q6_K => GgmlType.Q6_K,
        _ => null,
    };

    /// <summary>The weight format that holds <paramref name="type"/>'s blocks as they are (read in place by
    /// <see cref="GgmlMatVec"/>), or null.</summary>
    public static WeightFormat? FormatOf(GgmlType type) => type switch
    {
        GgmlType.Q4_0 => WeightFormat.Q4_0,
        GgmlType.Q4_1 => WeightFormat.Q4_1,
        GgmlType.Q5_0 => WeightFormat.Q5_0,
        GgmlType.Q5_1 => WeightFormat.Q5_1,
        GgmlType.Q4_K => WeightFormat.Q4_K,
        GgmlType.Q5_K => WeightFormat.Q5_K,
        GgmlType.Q6_K => WeightFormat.Q6_K,
        _ => null,
    };

    /// <summary>True for the GGUF block formats (their decode products take x quantised to int8, like Q8).</summary>
    public static bool IsGgmlBlocks(WeightFormat format) => GgmlTypeOf(format) is not null;
}
