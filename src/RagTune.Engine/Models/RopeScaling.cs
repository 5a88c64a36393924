// config.json's rope_scaling and the inverse frequencies it yields (transformers' modeling_rope_utils: default, linear, llama3,
// and dynamic NTK — whose frequencies depend on how long the sequence has grown, see DynamicInverseFrequencies).
namespace RagTune.Engine.Models;

public sealed record RopeScaling(string Type, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositionEmbeddings)
{
    public static readonly IReadOnlyList<string> SupportedTypes = ["linear", "llama3", "dynamic"];

    internal static RopeScaling? Read(JsonFields config)
    {
        var f = config.Object("rope_scaling");
        if (f is null) return null;
        string type = f.String("rope_type", f.String("type"))
            ?? throw config.Invalid("rope_scaling", "an object without rope_type", "rope_type one of " + string.Join(", ", SupportedTypes));
        if (type == "default") return null;
        double factor = f.Double("factor");
        if (!(factor > 0)) throw f.Invalid("factor", factor, "a positive number");
        return type switch
        {
            "linear" => new RopeScaling(type, factor, 0, 0, 0),
            // NTK scaling starts past the trained length: original_max_position_embeddings, else max_position_embeddings.
            "dynamic" => new RopeScaling(type, factor, 0, 0, f.Int("original_max_position_embeddings", config.Int("max_position_embeddings"))),
            "llama3" => new RopeScaling(type, factor, f.Double("low_freq_factor"), f.Double("high_freq_factor"),
                f.Int("original_max_position_embeddings")),
            _ => throw new EngineException(
                $"{config.File}: rope_scaling type '{type}' is not supported (supported: {string.Join(", ", SupportedTypes)})"),
        };
    }

    /// <summary>inv_freq[i] = 1 / theta^(2i/D) in fp32 as transformers computes it, then scaled.</summary>
    public static float[] InverseFrequencies(int headDim, double theta, RopeScaling? scaling)
    {
        var inv = new float[headDim / 2];
        for (int i = 0; i < inv.Length; i++)
            inv[i] = (float)(1.0 / Math.Pow(theta, (float)(2 * i) / headDim));
        if (scaling is null || scaling.Type == "dynamic") return inv;
        if (scaling.Type == "linear")
        {
            for (int i = 0; i < inv.Length; i++) inv[i] = (float)(inv[i] / scaling.Factor);
            return inv;
        }
        // llama3: long wavelengths are divided by factor, short ones kept, the band between is interpolated.
        double old = scaling.OriginalMaxPositionEmbeddings;
        double lowWavelen = old / scaling.LowFreqFactor, highWavelen = old / scaling.HighFreqFactor;
        for (int i = 0; i < inv.Length; i++)
        {
            double f = inv[i], wavelen = 2 * Math.PI / f;
            if (wavelen > lowWavelen)
                f /= scaling.Factor;
            else if (wavelen >= highWavelen)
            {
                double smooth = (old / wavelen - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
                f = (1 - smooth) * f / scaling.Factor + smooth * f;
            }
            inv[i] = (float)f;
        }
        return inv;
    }

    /// <summary>Dynamic NTK scaling (InternLM2DynamicNTKScalingRotaryEmbedding, transformers' _compute_dynamic_ntk_parameters):
    /// when a forward call reaches <paramref name="sequenceLength"/> = max(position) + 1 beyond the trained length, every
    /// position of that call rotates with base' = theta·(factor·len/max − (factor − 1))^(D/(D−2)); keys already in the cache
    /// keep the rotation they had. Null when <paramref name="scaling"/> is not dynamic or the sequence is within the trained length.</summary>
    public static float[]? DynamicInverseFrequencies(int headDim, double theta, RopeScaling? scaling, int sequenceLength)
    {
        if (scaling is not { Type: "dynamic" } || sequenceLength <= scaling.OriginalMaxPositionEmbeddings) return null;
        double factor = scaling.Factor;
        double baseScaled = theta * Math.Pow(factor * sequenceLength / scaling.OriginalMaxPositionEmbeddings - (factor - 1), (double)headDim / (headDim - 2));
        return InverseFrequencies(headDim, baseScaled, null);
    }
}
