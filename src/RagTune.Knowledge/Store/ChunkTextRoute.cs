// Decorates a route whose hits lack chunk text or metadata (the dense route keeps only vectors) with the store's copy,
// so fusion, rerankers and results see the same hit shape from every route.
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

internal sealed class ChunkTextRoute(ISearchRoute inner, Func<string, IReadOnlyDictionary<string, string>?> metadataOf,
    Func<string, string?> textOf) : ISearchRoute
{
    public string Name => inner.Name;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        var hits = await inner.SearchAsync(query, k, filter, cancellationToken).ConfigureAwait(false);
        return hits.Select(h => h with { Metadata = h.Metadata ?? metadataOf(h.Id), Text = h.Text ?? textOf(h.Id) }).ToList();
    }
}
