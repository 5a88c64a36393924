// IEmbeddingGenerator over an in-process encoder (the engine's TextEmbedder.Embed(texts, ct) has exactly this shape).
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Embeddings;

/// <summary>
/// Adapts a synchronous, CPU-bound batch encoder: inputs go in batches of <c>batchSize</c> to <c>embed</c> on a
/// thread-pool thread (so an async caller's thread is not blocked), cancellation is checked between batches and passed
/// to the encoder. Each result must have one vector of <c>dimensions</c> floats per input.
/// Example: <c>new LocalEmbeddingGenerator(embedder.Embed, "bge-small-zh-v1.5", embedder.Dimensions)</c>.
/// </summary>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly Func<IReadOnlyList<string>, CancellationToken, float[][]> _embed;
    private readonly int _batchSize;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public LocalEmbeddingGenerator(Func<IReadOnlyList<string>, CancellationToken, float[][]> embed, string modelId, int dimensions, int batchSize = 32)
    {
        _embed = embed ?? throw new ArgumentNullException(nameof(embed));
        ArgumentException.ThrowIfNullOrEmpty(modelId);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _batchSize = batchSize;
        Dimensions = dimensions;
        _metadata = new EmbeddingGeneratorMetadata("ragtune-local", null, modelId, dimensions);
    }

    public int Dimensions { get; }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is int wanted && wanted != Dimensions)
            throw new KnowledgeException($"local embedder '{_metadata.DefaultModelId}': {wanted} dimensions were requested, expected the model's {Dimensions}.");
        var inputs = values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Count);
        for (int start = 0; start < inputs.Count; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = inputs.GetRange(start, Math.Min(_batchSize, inputs.Count - start));
            var vectors = await Task.Run(() => _embed(batch, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (vectors.Length != batch.Count)
                throw new KnowledgeException($"local embedder '{_metadata.DefaultModelId}': returned {vectors.Length} vectors for {batch.Count} texts, expected one each.");
            foreach (var v in vectors)
            {
                if (v.Length != Dimensions)
                    throw new KnowledgeException($"local embedder '{_metadata.DefaultModelId}': returned a vector of {v.Length} dimensions, expected {Dimensions}.");
                result.Add(new Embedding<float>(v) { ModelId = _metadata.DefaultModelId, CreatedAt = DateTimeOffset.UtcNow });
            }
        }
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() { }
}
