// The lexical retrieval route: a BM25 index searched as an ISearchRoute, with metadata filters applied inside the
// ranking (so k filtered hits come back, not k hits minus the filtered ones) and the chunk's metadata and text attached.
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

/// <param name="index">The index; its document ids are the chunk ids.</param>
/// <param name="metadataOf">Metadata of a chunk id for filters and hits (null when unknown).</param>
/// <param name="textOf">Text of a chunk id for hits (rerankers need it), or null.</param>
/// <param name="chunkIdsOf">The chunk ids of a document id, for <see cref="SearchWithinAsync"/>; null: the route cannot
/// search within documents.</param>
public sealed class Bm25Route(Bm25Index index, Func<string, IReadOnlyDictionary<string, string>?> metadataOf,
    Func<string, string?>? textOf = null, string name = "bm25", Func<string, IReadOnlyList<string>>? chunkIdsOf = null) : IDocumentScopedRoute
{
    private readonly Bm25Index _index = index ?? throw new ArgumentNullException(nameof(index));
    private readonly Func<string, IReadOnlyDictionary<string, string>?> _metadataOf = metadataOf ?? throw new ArgumentNullException(nameof(metadataOf));

    public string Name { get; } = string.IsNullOrEmpty(name) ? throw new ArgumentException("A route needs a name.", nameof(name)) : name;

    public Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        cancellationToken.ThrowIfCancellationRequested();
        if (k == 0) return Task.FromResult<IReadOnlyList<SearchHit>>([]);
        return Task.FromResult(Hits(_index.Search(query, k, Accept(filter))));
    }

    public Task<IReadOnlyList<SearchHit>> SearchWithinAsync(string query, int k, IReadOnlyCollection<string> documentIds, MetadataFilter? filter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(documentIds);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        cancellationToken.ThrowIfCancellationRequested();
        if (chunkIdsOf is null)
            throw new KnowledgeException($"route '{Name}': searching within documents needs the chunk ids of each document; expected a route built with chunkIdsOf");
        if (k == 0) return Task.FromResult<IReadOnlyList<SearchHit>>([]);
        return Task.FromResult(Hits(_index.SearchAmong(query, k, documentIds.SelectMany(chunkIdsOf), Accept(filter))));
    }

    private Func<string, bool>? Accept(MetadataFilter? filter) => filter is null ? null : id => filter.Matches(_metadataOf(id));

    private IReadOnlyList<SearchHit> Hits(IReadOnlyList<Bm25Hit> hits)
    {
        var result = new List<SearchHit>(hits.Count);
        foreach (var hit in hits)
            result.Add(new SearchHit(hit.Id, hit.Score, Name, _metadataOf(hit.Id), textOf?.Invoke(hit.Id)));
        return result;
    }
}
