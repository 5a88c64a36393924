// Microsoft.Extensions.AI IEmbeddingGenerator over a local embedding model (TextEmbedder: the checkpoint's tokenizer,
// BERT-family encoder or decoder embedder, and pooling). Thread-safe: the model is read-only and allocates its buffers per
// text, so concurrent calls run in parallel. Usage reports the tokens the model saw (special tokens included, after
// truncation).
using Microsoft.Extensions.AI;
using RagTune.Engine.Models;
using RagTune.Engine.Training;

namespace RagTune.Engine.AI;

public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private volatile bool _disposed;

    public LocalEmbeddingGenerator(TextEmbedder embedder, string modelId)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        Embedder = embedder;
        ModelId = modelId;
        Metadata = new EmbeddingGeneratorMetadata(LocalChatClient.ProviderName, providerUri: null, defaultModelId: modelId,
            defaultModelDimensions: embedder.Dimensions);
    }

    /// <summary>Loads the embedding model in <paramref name="modelDirectory"/> (see <see cref="EmbeddingModels.LoadEmbedder"/>: an encoder, a decoder embedder, or a LoRA adapter folder); the
    /// model id defaults to the Hub repository id of a `ragtune pull` folder, else the folder's name.</summary>
    public static LocalEmbeddingGenerator Load(string modelDirectory, string? modelId = null, TextEmbedderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        return new LocalEmbeddingGenerator(EmbeddingModels.LoadEmbedder(modelDirectory, options),
            modelId ?? ModelIds.FromDirectory(modelDirectory));
    }

    public TextEmbedder Embedder { get; }
    public string ModelId { get; }
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>One embedding per value, in order. EmbeddingGenerationOptions.Dimensions must be null or the model's
    /// width (the models here are not trained for truncated embeddings); ModelId must be null or this model's.</summary>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } dims && dims != Embedder.Dimensions)
            throw new ArgumentException($"EmbeddingGenerationOptions.Dimensions is {dims}; {ModelId} produces {Embedder.Dimensions}", nameof(options));
        if (options?.ModelId is { } requested && requested != ModelId)
            throw new ArgumentException($"this generator serves model \"{ModelId}\"; EmbeddingGenerationOptions.ModelId asked for \"{requested}\"", nameof(options));
        string[] texts = [.. values];
        for (int i = 0; i < texts.Length; i++)
            if (texts[i] is null) throw new ArgumentException($"value {i} is null", nameof(values));

        // CPU-bound work: leave the caller's context, then encode text by text, checking for cancellation between them.
        await Task.CompletedTask.ConfigureAwait(ConfigureAwaitOptions.ForceYielding);
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        long tokens = 0;
        var createdAt = DateTimeOffset.UtcNow;
        foreach (string text in texts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int[] ids = Embedder.Tokenize(text);
            tokens += ids.Length;
            result.Add(new Embedding<float>(Embedder.Model.Embed(ids)) { ModelId = ModelId, CreatedAt = createdAt });
        }
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType == typeof(TextEmbedder)) return Embedder;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Further calls throw ObjectDisposedException; the weights are managed arrays, nothing else to release.</summary>
    public void Dispose() => _disposed = true;
}
