// How an encoder's token states become one embedding, as the checkpoint declares it: sentence-transformers'
// modules.json → Pooling module's config.json (CLS, mean, max or last token) and an optional Normalize module (L2).
// Rule when modules.json is absent: mean pooling without normalisation for encoders — what sentence-transformers itself
// builds for a plain Hugging Face checkpoint — and DecoderDefault for decoder embedders.
using System.Numerics.Tensors;
using System.Text.Json;

namespace RagTune.Engine.Models;

public enum PoolingMode
{
    Cls,
    Mean,
    Max,
    LastToken,
}

public sealed record Pooling(PoolingMode Mode, bool Normalize)
{
    public const string ModulesFileName = "modules.json";

    public static readonly Pooling Default = new(PoolingMode.Mean, false);

    /// <summary>The rule for a decoder embedder that declares no pooling: the last token (the appended end-of-text, the
    /// only position that has seen the whole text under causal attention), L2-normalised — what gte-Qwen2 and
    /// Qwen3-Embedding declare.</summary>
    public static readonly Pooling DecoderDefault = new(PoolingMode.LastToken, true);

    public static Pooling Load(string directory) => Load(directory, Default);

    /// <summary>The pooling the folder's modules.json declares; <paramref name="fallback"/> when there is no modules.json
    /// (and its mode when modules.json lists no Pooling module).</summary>
    public static Pooling Load(string directory, Pooling fallback)
    {
        string modulesPath = Path.Combine(directory, ModulesFileName);
        if (!File.Exists(modulesPath)) return fallback;
        using var doc = JsonFields.ParseFile(modulesPath);
        if (doc.RootElement.ValueKind != JsonValueKind.Array)
            throw new EngineException($"{modulesPath}: expected a list of modules, found {doc.RootElement.ValueKind}");
        PoolingMode? mode = null;
        bool normalize = false;
        foreach (var module in doc.RootElement.EnumerateArray())
        {
            var f = new JsonFields(module, modulesPath);
            string type = f.String("type") ?? throw f.Invalid("type", "missing", "a sentence_transformers module type");
            string kind = type[(type.LastIndexOf('.') + 1)..];
            switch (kind)
            {
                case "Transformer":
                    break;
                case "Pooling":
                    mode = ReadPoolingMode(Path.Combine(directory, f.String("path", "")!, "config.json"));
                    break;
                case "Normalize":
                    normalize = true;
                    break;
                default:
                    throw new EngineException($"{modulesPath}: module type '{type}' is not supported (supported: Transformer, Pooling, Normalize)");
            }
        }
        return new Pooling(mode ?? fallback.Mode, normalize);
    }

    private static PoolingMode ReadPoolingMode(string path)
    {
        if (!File.Exists(path))
            throw new EngineException($"{path} is missing (modules.json declares a Pooling module there)");
        using var doc = JsonFields.ParseFile(path);
        var f = new JsonFields(doc.RootElement, path);
        var modes = new List<PoolingMode>();
        if (f.Bool("pooling_mode_cls_token", false)) modes.Add(PoolingMode.Cls);
        if (f.Bool("pooling_mode_mean_tokens", false)) modes.Add(PoolingMode.Mean);
        if (f.Bool("pooling_mode_max_tokens", false)) modes.Add(PoolingMode.Max);
        if (f.Bool("pooling_mode_lasttoken", false)) modes.Add(PoolingMode.LastToken);
        foreach (var unsupported in new[] { "pooling_mode_mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens" })
            if (f.Bool(unsupported, false))
                throw f.Invalid(unsupported, true, "false (only cls, mean, max and lasttoken pooling are supported)");
        return modes.Count == 1
            ? modes[0]
            : throw new EngineException($"{path}: {modes.Count} pooling modes are enabled, expected exactly one");
    }

    /// <summary>hidden [T, C] → embedding [C].</summary>
    public void Apply(ReadOnlySpan<float> hidden, int tokens, Span<float> embedding)
    {
        int c = embedding.Length;
        switch (Mode)
        {
            case PoolingMode.Cls:
                hidden[..c].CopyTo(embedding);
                break;
            case PoolingMode.LastToken:
                hidden.Slice((tokens - 1) * c, c).CopyTo(embedding);
                break;
            case PoolingMode.Mean:
                embedding.Clear();
                for (int t = 0; t < tokens; t++)
                    TensorPrimitives.Add(embedding, hidden.Slice(t * c, c), embedding);
                TensorPrimitives.Multiply(embedding, 1f / tokens, embedding);
                break;
            case PoolingMode.Max:
                hidden[..c].CopyTo(embedding);
                for (int t = 1; t < tokens; t++)
                    TensorPrimitives.Max(embedding, hidden.Slice(t * c, c), embedding);
                break;
        }
        if (Normalize)
        {
            // torch.nn.functional.normalize: x / max(‖x‖₂, 1e-12)
            float norm = TensorPrimitives.Norm(embedding);
            TensorPrimitives.Multiply(embedding, 1f / Math.Max(norm, 1e-12f), embedding);
        }
    }
}
