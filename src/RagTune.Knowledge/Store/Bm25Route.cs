// The lexical retrieval route: a BM25 index searched as an ISearchRoute, with metadata filters applied inside the
// ranking (so k filtered hits come back, not k hits minus the filtered ones) and the chunk's metadata and text attached.
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

/// <param name="index">The index; its document ids are the chunk ids.</param>
/// <param name="metadataOf">Metadata of a chunk id for filters and hits (null when unknown).</param>
/// <param name="textOf">Text of a chunk id for hits (rerankers need it), or null.</param>
public sealed class Bm25Route(Bm25Index index, Func<string, IReadOnlyDictionary<string, string>?> metadataOf,
    Func<string, string?>? textOf = null, string name = "bm25") : ISearchRoute
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
        Func<string, bool>? accept = filter is null ? null : id => filter.Matches(_metadataOf(id));
        var hits = _index.Search(query, k, accept);
        var result = new List<SearchHit>(hits.Count);
        foreach (var hit in hits)
            result.Add(new SearchHit(hit.Id, hit.Score, Name, _metadataOf(hit.Id), textOf?.Invoke(hit.Id)));
        return Task.FromResult<IReadOnlyList<SearchHit>>(result);
    }
}
