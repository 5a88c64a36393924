// Text → embedding with a local checkpoint: its tokenizer (its post-processor's special tokens added: [CLS] … [SEP] for
// BERT, the appended <|endoftext|> of Qwen3-Embedding), its model (a BERT-family encoder or a decoder embedder), its
// pooling. Read-only after loading, so one instance serves concurrent callers.
using System.Text.Json;
using RagTune.Engine.Tokenizers;

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

    /// <summary>Loads the embedding model in <paramref name="directory"/> (see <see cref="IEmbeddingModel.Load"/>) with its
    /// tokenizer; <paramref name="maxLength"/> null: <see cref="DefaultMaxLength"/>. A LoRA adapter to merge, or an adapter
    /// folder as the model: Training.EmbeddingModels.LoadEmbedder.</summary>
    public static TextEmbedder Load(string directory, int? maxLength = null) => Create(IEmbeddingModel.Load(directory), directory, maxLength);

    /// <summary>An embedder over <paramref name="model"/> (loaded from <paramref name="directory"/>, which holds its
    /// tokenizer); disposes the model if the tokenizer or the length is refused.</summary>
    public static TextEmbedder Create(IEmbeddingModel model, string directory, int? maxLength = null)
    {
        try
        {
            return new TextEmbedder(model, Tokenizers.Tokenizer.Load(directory), maxLength ?? DefaultMaxLength(model, directory));
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
