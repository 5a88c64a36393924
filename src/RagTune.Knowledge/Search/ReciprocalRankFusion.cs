// Reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): score(d) = Σ_routes w_r / (k + rank_r(d)), rank from 1.
namespace RagTune.Knowledge.Search;

/// <summary>
/// Uses ranks only, so BM25 and cosine scores need no calibration. k = 60 is the paper's constant. Optional per-route
/// weights multiply each route's contribution (default 1). A document a route did not return contributes nothing there.
/// </summary>
public sealed class ReciprocalRankFusion : IRankFusion
{
    public const int DefaultK = 60;
    private readonly IReadOnlyDictionary<string, double> _weights;

    public ReciprocalRankFusion(int k = DefaultK, IReadOnlyDictionary<string, double>? weights = null)
    {
        if (k < 0) throw new ArgumentOutOfRangeException(nameof(k), k, "expected ≥ 0");
        K = k;
        _weights = weights ?? new Dictionary<string, double>();
    }

    public int K { get; }

    public IReadOnlyList<SearchHit> Fuse(IReadOnlyList<RouteResult> results, int k)
    {
        ArgumentNullException.ThrowIfNull(results);
        var acc = new FusionAccumulator();
        foreach (var result in results)
        {
            double weight = _weights.GetValueOrDefault(result.Route, 1.0);
            for (int i = 0; i < result.Hits.Count; i++)
            {
                int rank = i + 1;
                acc.Add(result.Hits[i], result.Route, rank, weight / (K + rank));
            }
        }
        return acc.Top(k);
    }
}
