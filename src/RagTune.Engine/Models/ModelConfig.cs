// config.json of a supported architecture; Load dispatches on architectures[0] (falling back to model_type).
using System.Text.Json;

namespace RagTune.Engine.Models;

public abstract class ModelConfig
{
    public const string FileName = "config.json";

    /// <summary>architectures[0] → the config class that reads it; model_type names for configs without architectures.</summary>
    private static readonly Dictionary<string, Func<JsonFields, ModelConfig>> Architectures = new Dictionary<string, Func<JsonFields, ModelConfig>>(StringComparer.Ordinal)
    {
        ["Qwen2ForCausalLM"] = f => new Qwen2Config(f, "Qwen2ForCausalLM"),
        ["Qwen3ForCausalLM"] = f => new Qwen3Config(f, "Qwen3ForCausalLM"),
        ["LlamaForCausalLM"] = f => new LlamaConfig(f, "LlamaForCausalLM"),
        ["InternLM2ForCausalLM"] = f => new InternLM2Config(f, "InternLM2ForCausalLM"),
        ["GPT2LMHeadModel"] = f => new Gpt2Config(f.WithAttributeMap(Gpt2Config.AttributeMap), "GPT2LMHeadModel"),
        // The bare decoders without a language-model head, as decoder embedders (gte-Qwen2, Qwen3-Embedding) are saved.
        ["Qwen2Model"] = f => new Qwen2Config(f, "Qwen2Model"),
        ["Qwen3Model"] = f => new Qwen3Config(f, "Qwen3Model"),
        ["LlamaModel"] = f => new LlamaConfig(f, "LlamaModel"),
    }.Concat(BertConfig.ArchitectureNames.Select(name =>
        KeyValuePair.Create<string, Func<JsonFields, ModelConfig>>(name, f => new BertConfig(f, name)))).ToDictionary(StringComparer.Ordinal);

    private static readonly Dictionary<string, string> ModelTypes = new(StringComparer.Ordinal)
    {
        ["qwen2"] = "Qwen2ForCausalLM",
        ["qwen3"] = "Qwen3ForCausalLM",
        ["llama"] = "LlamaForCausalLM",
        ["internlm2"] = "InternLM2ForCausalLM",
        ["gpt2"] = "GPT2LMHeadModel",
        ["bert"] = "BertModel",
        ["xlm-roberta"] = "XLMRobertaModel",
        ["roberta"] = "RobertaModel",
    };

    public static IReadOnlyCollection<string> SupportedArchitectures => Architectures.Keys;

    /// <summary>The architecture name as in config.json (e.g. Qwen2ForCausalLM).</summary>
    public string Architecture { get; }

    public string ModelType { get; }

    /// <summary>The config.json this was read from.</summary>
    public string Path { get; }

    public int HiddenSize { get; }
    public int NumHiddenLayers { get; }
    public int NumAttentionHeads { get; }
    public int VocabSize { get; }
    public int MaxPositionEmbeddings { get; }
    public string HiddenAct { get; }

    /// <summary>The dtype the checkpoint was saved in (informational: weights are converted to float32 at load).</summary>
    public string? TorchDtype { get; }

    private protected ModelConfig(JsonFields f, string architecture)
    {
        Architecture = architecture;
        Path = f.File;
        ModelType = f.String("model_type", "")!;
        HiddenSize = Positive(f, "hidden_size");
        NumHiddenLayers = Positive(f, "num_hidden_layers");
        NumAttentionHeads = Positive(f, "num_attention_heads");
        VocabSize = Positive(f, "vocab_size");
        MaxPositionEmbeddings = Positive(f, "max_position_embeddings");
        HiddenAct = f.String("hidden_act", f.String("hidden_activation"))
            ?? throw f.Invalid("hidden_act", "missing", "an activation name");
        TorchDtype = f.String("torch_dtype", f.String("dtype"));
    }

    /// <summary>Every tensor the checkpoint must hold, with its shape, in Hugging Face naming.</summary>
    public abstract IReadOnlyList<TensorSpec> ExpectedTensors();

    public static ModelConfig Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new EngineException($"model directory {directory} does not exist");
        string path = System.IO.Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new EngineException($"{directory}: no {FileName} (expected a Hugging Face model directory)");
        using var doc = JsonFields.ParseFile(path);
        var fields = new JsonFields(doc.RootElement, path);
        string architecture = ArchitectureOf(fields);
        if (!Architectures.TryGetValue(architecture, out var create))
            throw new EngineException(
                $"{path}: architecture '{architecture}' is not supported (supported: {string.Join(", ", Architectures.Keys)})");
        return create(fields);
    }

    private static string ArchitectureOf(JsonFields f)
    {
        if (f.Element("architectures") is { } list)
        {
            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0 || list[0].ValueKind != JsonValueKind.String)
                throw f.Invalid("architectures", list.GetRawText(), "a non-empty list of architecture names");
            return list[0].GetString()!;
        }
        string modelType = f.String("model_type")
            ?? throw f.Invalid("architectures", "missing (and so is model_type)", "e.g. [\"Qwen2ForCausalLM\"]");
        return ModelTypes.TryGetValue(modelType, out var arch)
            ? arch
            : throw new EngineException($"{f.File}: model_type '{modelType}' is not supported (supported: {string.Join(", ", ModelTypes.Keys)})");
    }

    private protected static int Positive(JsonFields f, string name)
    {
        int v = f.Int(name);
        return v > 0 ? v : throw f.Invalid(name, v, "a positive integer");
    }

    private protected static int Positive(JsonFields f, string name, int fallback)
    {
        int v = f.Int(name, fallback);
        return v > 0 ? v : throw f.Invalid(name, v, "a positive integer");
    }
}
