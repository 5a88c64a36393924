// Chooses which collections a query should search.
namespace RagTune.Knowledge.Search;

public interface ICollectionRouter
{
    /// <summary>Names of the chosen collections (a non-empty subset of <paramref name="collections"/>, in priority order).</summary>
    Task<IReadOnlyList<string>> RouteAsync(string query, IReadOnlyList<KnowledgeCollection> collections, CancellationToken cancellationToken);
}
