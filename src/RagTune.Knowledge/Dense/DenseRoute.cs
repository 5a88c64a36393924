// The dense retrieval route: embed the query, search a vector index, attach stored metadata (and text, if stored).
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Dense;

/// <summary>
/// <paramref name="queryEmbedder"/> must embed queries the way the model expects — wrap it with
/// <see cref="Embeddings.PrefixedEmbeddingGenerator.ForQueries"/> for instruction-tuned models.
/// When the index metadata holds the chunk text under <paramref name="textMetadataKey"/>, hits carry it.
/// </summary>
public sealed class DenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder, IVectorIndex index,
    string name = "dense", string textMetadataKey = "text") : ISearchRoute
{
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder = queryEmbedder ?? throw new ArgumentNullException(nameof(queryEmbedder));
    private readonly IVectorIndex _index = index ?? throw new ArgumentNullException(nameof(index));

    public string Name { get; } = string.IsNullOrEmpty(name) ? throw new ArgumentException("A route needs a name.", nameof(name)) : name;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0) return [];
        var vector = await EmbedAsync(query, cancellationToken).ConfigureAwait(false);
        return Hits(_index.Search(vector.Span, k, filter));
    }

    /// <summary>As <see cref="SearchAsync"/> over the vectors of <paramref name="ids"/> only (exact scores).</summary>
    public async Task<IReadOnlyList<SearchHit>> SearchAmongAsync(string query, int k, IEnumerable<string> ids, MetadataFilter? filter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0) return [];
        var vector = await EmbedAsync(query, cancellationToken).ConfigureAwait(false);
        return Hits(_index.SearchAmong(vector.Span, k, ids, filter));
    }

    private async Task<ReadOnlyMemory<float>> EmbedAsync(string query, CancellationToken cancellationToken)
    {
        var embeddings = await _embedder.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (embeddings.Count != 1)
            throw new KnowledgeException($"route '{Name}': the embedding generator returned {embeddings.Count} vectors for one query, expected 1.");
        var vector = embeddings[0].Vector;
        if (vector.Length != _index.Dimensions)
            throw new KnowledgeException($"route '{Name}': the query embedding has {vector.Length} dimensions, expected the index's {_index.Dimensions} (same model for indexing and queries?).");
        return vector;
    }

    private List<SearchHit> Hits(IReadOnlyList<VectorHit> hits)
    {
        var result = new List<SearchHit>(hits.Count);
        foreach (var hit in hits)
        {
            var metadata = _index.GetMetadata(hit.Id);
            string? text = metadata is not null && metadata.TryGetValue(textMetadataKey, out var t) ? t : null;
            result.Add(new SearchHit(hit.Id, hit.Score, Name, metadata, text));
        }
        return result;
    }
}
