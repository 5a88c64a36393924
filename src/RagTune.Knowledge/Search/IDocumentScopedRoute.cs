// A chunk route that can rank only the chunks of given documents: the second stage of hierarchical (document-first)
// search. The knowledge stores' BM25 and dense routes implement it.
namespace RagTune.Knowledge.Search;

public interface IDocumentScopedRoute : ISearchRoute
{
    /// <summary>The k best chunks of <paramref name="documentIds"/> that pass the filter, best first, scored as
    /// <see cref="ISearchRoute.SearchAsync"/> scores them over the whole collection.</summary>
    Task<IReadOnlyList<SearchHit>> SearchWithinAsync(string query, int k, IReadOnlyCollection<string> documentIds, MetadataFilter? filter,
        CancellationToken cancellationToken);
}
