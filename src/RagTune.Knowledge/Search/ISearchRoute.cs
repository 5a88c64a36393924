// A retrieval route (BM25, dense, …): the unit that hybrid search runs in parallel and fuses.
namespace RagTune.Knowledge.Search;

public interface ISearchRoute
{
    /// <summary>Unique within a searcher; used to pick routes per query and in <see cref="SearchHit.Route"/>.</summary>
    string Name { get; }

    /// <summary>The k best hits for the query that pass the filter, best first.</summary>
    Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken);
}
