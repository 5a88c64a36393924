// A chunk route restricted to the chunks of some documents, as an ISearchRoute that hybrid search can run and fuse.
namespace RagTune.Knowledge.Search;

public sealed class DocumentScopedRoute(IDocumentScopedRoute inner, IReadOnlyCollection<string> documentIds) : ISearchRoute
{
    private readonly IDocumentScopedRoute _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly IReadOnlyCollection<string> _documentIds = documentIds ?? throw new ArgumentNullException(nameof(documentIds));

    public string Name => _inner.Name;

    public Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken) =>
        _inner.SearchWithinAsync(query, k, _documentIds, filter, cancellationToken);
}
