// The reranking stage after fusion: reorders (and may rescore) the top candidates for one query.
namespace RagTune.Knowledge.Search;

public interface IReranker
{
    /// <summary>The same hits in a new order, best first; implementations must not drop or invent hits.</summary>
    Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken);
}
