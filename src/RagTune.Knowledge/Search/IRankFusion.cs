// Combines the ranked lists of several routes into one ranking.
namespace RagTune.Knowledge.Search;

/// <summary>One route's ranked hits, best first.</summary>
public sealed record RouteResult(string Route, IReadOnlyList<SearchHit> Hits);

public interface IRankFusion
{
    /// <summary>
    /// The k best fused hits, best first. Hits with equal ids are the same chunk (all routes search one knowledge base); ties are broken
    /// by the best rank any route gave, then by ordinal id, so the output is deterministic.
    /// </summary>
    IReadOnlyList<SearchHit> Fuse(IReadOnlyList<RouteResult> results, int k);
}
