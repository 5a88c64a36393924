// Which ggml type each tensor of an exported GGUF gets: llama.cpp's rules (llama-quant.cpp: tensor_allows_quantization,
// llama_tensor_get_type for the Q4_K_M mixture, tensor_type_fallback), so `--type q4_k_m` picks what llama-quantize picks.
using RagTune.Engine.Formats;

namespace RagTune.Engine.Export;

/// <summary>The part a tensor plays, as llama-quant.cpp's tensor_category sees it.</summary>
internal enum GgufTensorRole { TokenEmbedding, Output, AttentionV, FfnDown, Other }

internal static class GgufTensorTypes
{
    /// <summary>The type of tensor <paramref name="name"/> ([rows, rowLength] or 1-D) in layer <paramref name="layer"/> of
    /// <paramref name="layers"/>. Q8_0 with a row that is not a multiple of 32 is an error naming the tensor.</summary>
    public static GgmlType Choose(GgufExportType type, string name, int dimensions, long rowLength, GgufTensorRole role,
        int layer, int layers, bool tiedEmbeddings)
    {
        // tensor_allows_quantization: only 2-D weights, never norms (llama.cpp keeps them float32, as convert_hf_to_gguf does)
        // nor learned positions (GPT-2's position_embd).
        if (dimensions < 2 || !name.EndsWith("weight", StringComparison.Ordinal) || name.Contains("_norm.weight", StringComparison.Ordinal)
            || name == "position_embd.weight")
            return GgmlType.F32;
        switch (type)
        {
            case GgufExportType.F32:
                return GgmlType.F32;
            case GgufExportType.F16:
                return GgmlType.F16;
            case GgufExportType.Q8_0:
                if (!GgmlQuantizer.Fits(GgmlType.Q8_0, rowLength))
                    throw new EngineException($"tensor '{name}': its rows of {rowLength} weights cannot be stored as q8_0 (a multiple of 32 is needed); export with --type f16 or q4_k_m");
                return GgmlType.Q8_0;
        }
        var chosen = GgmlType.Q4_K;
        if (role == GgufTensorRole.Output || (tiedEmbeddings && role == GgufTensorRole.TokenEmbedding))
            chosen = rowLength % GgmlTypes.SuperBlock != 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
        else if ((role is GgufTensorRole.AttentionV or GgufTensorRole.FfnDown) && UseMoreBits(layer, layers))
            chosen = GgmlType.Q6_K;
        return Fallback(chosen, rowLength);
    }

    /// <summary>use_more_bits: the first and last eighth of the layers, and every third layer between.</summary>
    internal static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    /// <summary>tensor_type_fallback: a 256-block type whose rows do not fit falls back to a 32-block one, and a 32-block
    /// type whose rows do not fit to f16.</summary>
    private static GgmlType Fallback(GgmlType chosen, long rowLength)
    {
        if (GgmlQuantizer.Fits(chosen, rowLength)) return chosen;
        var fallback = chosen switch
        {
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => chosen,
        };
        return GgmlQuantizer.Fits(fallback, rowLength) ? fallback : GgmlType.F16;
    }
}
