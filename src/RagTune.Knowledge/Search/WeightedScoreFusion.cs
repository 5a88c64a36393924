// Weighted score fusion: each route's scores min-max normalised to [0, 1], then Σ_routes w_r · norm_r(d).
namespace RagTune.Knowledge.Search;

/// <summary>
/// Normalisation is per route and per query: norm = (s − min) / (max − min) over that route's returned hits; when all of
/// a route's scores are equal (or it returned one hit) each gets 1. A document absent from a route scores 0 there.
/// Weights default to 1 for routes not named.
/// </summary>
public sealed class WeightedScoreFusion : IRankFusion
{
    private readonly IReadOnlyDictionary<string, double> _weights;

    public WeightedScoreFusion(IReadOnlyDictionary<string, double>? weights = null)
    {
        _weights = weights ?? new Dictionary<string, double>();
        foreach (var (route, w) in _weights)
        {
            if (!double.IsFinite(w) || w < 0) throw new ArgumentOutOfRangeException(nameof(weights), w, $"weight of route '{route}': expected a finite number ≥ 0");
        }
    }

    public IReadOnlyList<SearchHit> Fuse(IReadOnlyList<RouteResult> results, int k)
    {
        ArgumentNullException.ThrowIfNull(results);
        var acc = new FusionAccumulator();
        foreach (var result in results)
        {
            if (result.Hits.Count == 0) continue;
            double weight = _weights.GetValueOrDefault(result.Route, 1.0);
            double min = result.Hits.Min(h => h.Score), max = result.Hits.Max(h => h.Score);
            double range = max - min;
            for (int i = 0; i < result.Hits.Count; i++)
            {
                double norm = range > 0 ? (result.Hits[i].Score - min) / range : 1.0;
                acc.Add(result.Hits[i], result.Route, i + 1, weight * norm);
            }
        }
        return acc.Top(k);
    }
}
