// Text → embedding with a local checkpoint: its tokenizer (its post-processor's special tokens added: [CLS] … [SEP] for
// BERT, the appended <|endoftext|> of Qwen3-Embedding), its model (a BERT-family encoder or a decoder embedder), its
// pooling. Read-only after loading, so one instance serves concurrent callers.
using System.Text.Json;
using RagTune.Engine.Tokenizers;
using RagTune.Engine.Training;

namespace RagTune.Engine.Models;

public sealed class TextEmbedder : IDisposable
{
    public IEmbeddingModel Model { get; }
    public ITokenizer Tokenizer { get; }

    /// <summary>The most tokens one text keeps (see <see cref="Tokenize(string, out bool)"/>).</summary>
    public int MaxLength { get; }

    public TextEmbedder(IEmbeddingModel model, ITokenizer tokenizer, int? maxLength = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        int max = maxLength ?? model.MaxTokens;
        if (max < 1 || max > model.MaxTokens)
            throw new EngineException($"max length {max}: expected 1..{model.MaxTokens}, the positions of {model.Config.Path}");
        Model = model;
        Tokenizer = tokenizer;
        MaxLength = max;
    }

    /// <summary>Loads the embedding model in <paramref name="directory"/>: a BertModel/XLMRobertaModel encoder, a
    /// Qwen2/Qwen3/LLaMA decoder embedder (…ForCausalLM or bare …Model), or a PEFT adapter folder from `train embed --lora`
    /// (its base_model_name_or_path is loaded and the adapter merged).</summary>
    public static TextEmbedder Load(string directory, TextEmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        options ??= new TextEmbedderOptions();
        if (!File.Exists(Path.Combine(directory, ModelConfig.FileName)) && File.Exists(Path.Combine(directory, PeftAdapter.ConfigFileName)))
        {
            if (options.AdapterDirectory is not null)
                throw new EngineException($"{directory} is itself a LoRA adapter folder; give its base model with the adapter, not two adapters");
            return Load(PeftAdapter.ReadBaseModel(directory), options with { AdapterDirectory = directory });
        }
        // An adapter merges into float32 weights, so BF16/F16 decoder checkpoints are widened at load when one is given.
        var model = IEmbeddingModel.Load(directory, options.AdapterDirectory is null ? WeightFormat.Checkpoint : WeightFormat.F32);
        try
        {
            if (options.AdapterDirectory is { } adapter)
            {
                var projections = model.Projections.ToList();
                PeftAdapter.Load(adapter, projections);
                PeftAdapter.Merge(projections);
            }
            var tokenizer = Tokenizers.Tokenizer.Load(directory);
            return new TextEmbedder(model, tokenizer, options.MaxLength ?? DefaultMaxLength(model, directory));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The truncation length when none is asked for: the model's positions, or the tokenizer's model_max_length
    /// (tokenizer_config.json in <paramref name="directory"/>) when that is smaller.</summary>
    public static int DefaultMaxLength(IEmbeddingModel model, string directory) =>
        Math.Min(model.MaxTokens, TokenizerMaxLength(directory) ?? int.MaxValue);

    /// <summary>tokenizer_config.json's model_max_length when it states a real limit (transformers writes 1e30 for "none").</summary>
    private static int? TokenizerMaxLength(string directory)
    {
        string path = Path.Combine(directory, "tokenizer_config.json");
        if (!File.Exists(path)) return null;
        using var doc = JsonFields.ParseFile(path);
        return doc.RootElement.ValueKind == JsonValueKind.Object
            && doc.RootElement.TryGetProperty("model_max_length", out var v) && v.ValueKind == JsonValueKind.Number
            && v.TryGetDouble(out double n) && n >= 1 && n <= int.MaxValue
            ? (int)n
            : null;
    }

    public int Dimensions => Model.Dimensions;

    public int[] Tokenize(string text) => Tokenize(text, out _);

    /// <summary>The ids the model sees: special tokens added, cut to <see cref="MaxLength"/> keeping the final token (e.g.
    /// [SEP] or the appended &lt;|endoftext|&gt;), as Hugging Face truncation does before its post-processor;
    /// <paramref name="truncated"/> says whether the text was cut.</summary>
    public int[] Tokenize(string text, out bool truncated)
    {
        ArgumentNullException.ThrowIfNull(text);
        int[] ids = Tokenizer.Encode(text, addSpecialTokens: true);
        truncated = ids.Length > MaxLength;
        if (!truncated) return ids;
        int[] cut = ids[..MaxLength];
        cut[^1] = ids[^1];
        return cut;
    }

    public float[] Embed(string text) => Model.Embed(Tokenize(text));

    /// <summary>One embedding per text, in order. Texts run one after another, unpadded.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        var result = new float[texts.Count][];
        for (int i = 0; i < texts.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            result[i] = Embed(texts[i]);
        }
        return result;
    }

    public void Dispose() => Model.Dispose();
}
