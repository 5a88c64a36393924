// Per-query choices of hybrid search; anything left null takes the searcher's default.
namespace RagTune.Knowledge.Search;

public sealed record HybridSearchOptions
{
    /// <summary>Names of the routes to run for this query; null runs every route of the searcher.</summary>
    public IReadOnlyList<string>? Routes { get; init; }

    public MetadataFilter? Filter { get; init; }

    /// <summary>Hits requested from each route before fusion (at least k is used).</summary>
    public int? CandidatesPerRoute { get; init; }

    /// <summary>Fusion for this query instead of the searcher's.</summary>
    public IRankFusion? Fusion { get; init; }

    /// <summary>False skips the searcher's reranker for this query.</summary>
    public bool Rerank { get; init; } = true;

    /// <summary>Fused hits handed to the reranker (at least k is used); null takes the searcher's default.</summary>
    public int? RerankDepth { get; init; }
}
