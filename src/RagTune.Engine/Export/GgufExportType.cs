// The weight encodings `ragtune export gguf --type` offers, with llama.cpp's names and file-type numbers (llama_ftype).
namespace RagTune.Engine.Export;

public enum GgufExportType
{
    /// <summary>float32 everywhere (LLAMA_FTYPE_ALL_F32): the input llama-quantize starts from.</summary>
    F32,

    /// <summary>f16 matrices, float32 norms and biases (LLAMA_FTYPE_MOSTLY_F16), as convert_hf_to_gguf.py --outtype f16.</summary>
    F16,

    /// <summary>Q8_0 matrices (LLAMA_FTYPE_MOSTLY_Q8_0); every matrix row must be a multiple of 32.</summary>
    Q8_0,

    /// <summary>llama.cpp's Q4_K_M mixture (LLAMA_FTYPE_MOSTLY_Q4_K_M): Q4_K, with Q6_K for the output matrix and for
    /// attn_v / ffn_down in the layers llama-quantize gives more bits, and its fallbacks for rows not a multiple of 256.</summary>
    Q4_K_M,
}

public static class GgufExportTypes
{
    /// <summary>The names the CLI accepts, as llama.cpp spells them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["f32", "f16", "q8_0", "q4_k_m"];

    public static GgufExportType Parse(string name) => name.ToLowerInvariant() switch
    {
        "f32" => GgufExportType.F32,
        "f16" => GgufExportType.F16,
        "q8_0" => GgufExportType.Q8_0,
        "q4_k_m" => GgufExportType.Q4_K_M,
        _ => throw new EngineException($"GGUF type '{name}' is not supported (expected one of {string.Join(", ", Names)})"),
    };

    public static string Name(this GgufExportType type) => Names[(int)type];

    /// <summary>general.file_type: llama.cpp's llama_ftype number.</summary>
    public static uint FileType(this GgufExportType type) => type switch
    {
        GgufExportType.F32 => 0,
        GgufExportType.F16 => 1,
        GgufExportType.Q8_0 => 7,
        GgufExportType.Q4_K_M => 15,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };
}
