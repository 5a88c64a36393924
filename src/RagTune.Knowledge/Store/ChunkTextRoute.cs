// The embedded stores' dense routes: decorates the vector route (which keeps only vectors) with the store's text and
// metadata of each hit (a chunk's, or on the document route a document's), so fusion, rerankers and results see the same
// hit shape from every route; the chunk route can also search within documents.
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

internal sealed class ChunkTextRoute(DenseRoute inner, Func<string, IReadOnlyDictionary<string, string>?> metadataOf,
    Func<string, string?> textOf, Func<string, IReadOnlyList<string>>? chunkIdsOf) : IDocumentScopedRoute
{
    public string Name => inner.Name;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken) =>
        Decorate(await inner.SearchAsync(query, k, filter, cancellationToken).ConfigureAwait(false));

    public async Task<IReadOnlyList<SearchHit>> SearchWithinAsync(string query, int k, IReadOnlyCollection<string> documentIds, MetadataFilter? filter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documentIds);
        if (chunkIdsOf is null) throw new InvalidOperationException("The document route ranks documents; it has no documents to search within.");
        return Decorate(await inner.SearchAmongAsync(query, k, documentIds.SelectMany(chunkIdsOf), filter, cancellationToken).ConfigureAwait(false));
    }

    private List<SearchHit> Decorate(IReadOnlyList<SearchHit> hits) =>
        hits.Select(h => h with { Metadata = h.Metadata ?? metadataOf(h.Id), Text = h.Text ?? textOf(h.Id) }).ToList();
}
