// The search-route contract both PostgreSQL routes (BM25, dense) keep the same way: searching the whole collection and
// searching within documents are one ranking query with an optional document scope, after the same argument checks;
// the document-level route ranks documents, so it has nothing to search within.
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal abstract class PostgresScopedRoute(bool documents) : IDocumentScopedRoute
{
    public abstract string Name { get; }

    /// <summary>Whether this is the document-level route (ids are document ids) rather than a chunk route.</summary>
    protected bool Documents { get; } = documents;

    public Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken) =>
        SearchAsync(query, k, null, filter, cancellationToken);

    public Task<IReadOnlyList<SearchHit>> SearchWithinAsync(string query, int k, IReadOnlyCollection<string> documentIds, MetadataFilter? filter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documentIds);
        if (Documents) throw new InvalidOperationException("The document route ranks documents; it has no documents to search within.");
        return SearchAsync(query, k, documentIds, filter, cancellationToken);
    }

    private Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, IReadOnlyCollection<string>? scope, MetadataFilter? filter,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return k == 0 ? Task.FromResult<IReadOnlyList<SearchHit>>([]) : RankAsync(query, k, scope, filter, cancellationToken);
    }

    /// <summary>The k ≥ 1 best hits for <paramref name="query"/>, best first, among the chunks of <paramref name="scope"/>'s
    /// documents (null: all) that pass <paramref name="filter"/>.</summary>
    protected abstract Task<IReadOnlyList<SearchHit>> RankAsync(string query, int k, IReadOnlyCollection<string>? scope, MetadataFilter? filter,
        CancellationToken cancellationToken);
}
