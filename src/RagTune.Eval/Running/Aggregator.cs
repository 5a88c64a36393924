// Aggregates per-item results into per-system means and counts, with a seeded percentile-bootstrap CI for EM/F1.
// Failed items are not zeros: they are left out of every mean and counted beside it.
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;

namespace RagTune.Eval.Running;

public static class Aggregator
{
    public static IReadOnlyList<SystemSummary> Summarize(IEnumerable<ItemResult> results, IReadOnlyList<string>? systemOrder = null,
        AggregatorOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(results);
        options ??= new AggregatorOptions();
        if (options.BootstrapSamples < 0) throw new EvalException($"aggregator BootstrapSamples: found {options.BootstrapSamples}; expected 0 or more");
        if (!(options.Confidence > 0 && options.Confidence < 1)) throw new EvalException($"aggregator Confidence: found {options.Confidence}; expected a value in (0, 1)");
        var groups = results.GroupBy(r => r.System, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var order = (systemOrder ?? []).Where(groups.ContainsKey).Concat(groups.Keys.Where(k => systemOrder?.Contains(k) != true).Order(StringComparer.Ordinal));
        var summaries = new List<SystemSummary>();
        foreach (var system in order)
        {
            var rs = groups[system];
            var metrics = new Dictionary<string, MetricSummary>(StringComparer.Ordinal);
            // A metric that failed on every item still gets a row: no mean, only its error count.
            var names = rs.SelectMany(r => r.Metrics.Keys.Concat(r.Judge?.Keys ?? Enumerable.Empty<string>()).Concat(WarnedMetrics(r)));
            foreach (var name in names.Distinct().OrderBy(n => SortKey(n)).ThenBy(n => n, StringComparer.Ordinal))
            {
                var values = rs.Where(r => r.Error is null && r.Metrics.ContainsKey(name)).Select(r => r.Metrics[name]).ToArray();
                int errors = rs.Count(r => r.Error is not null || (!r.Metrics.ContainsKey(name) && MetricFailed(r, name)));
                if (values.Length == 0)
                {
                    metrics[name] = new MetricSummary(name, 0, double.NaN, Errors: errors);
                    continue;
                }
                double mean = values.Average();
                double? lo = null, hi = null;
                if (options.BootstrapSamples > 0 && options.BootstrapMetrics.Contains(name))
                    (lo, hi) = BootstrapCi(values, options.BootstrapSamples, options.Confidence, StableHash.Combine(options.Seed, system + "\n" + name));
                metrics[name] = new MetricSummary(name, values.Length, mean, lo, hi, errors);
            }
            summaries.Add(new SystemSummary(system, rs.Count, rs.Count(r => r.Error is not null), rs.Average(r => r.LatencyMs), metrics));
        }
        return summaries;
    }

    // Warnings are "metric: reason" (see EvaluationRunner); only known metric names count.
    private static IEnumerable<string> WarnedMetrics(ItemResult r) =>
        (r.Warnings ?? []).Select(w => w.Split(':', 2)[0]).Where(n => MetricNames.Order.Contains(n));

    // A judge verdict with an error, or a warning from the metric's model (e.g. the embedding service failed).
    private static bool MetricFailed(ItemResult r, string name) =>
        (r.Judge is { } judge && judge.TryGetValue(name, out var verdict) && verdict.Error is not null)
        || (r.Warnings?.Any(w => w.StartsWith(name + ":", StringComparison.Ordinal)) ?? false);

    internal static int SortKey(string name)
    {
        int i = MetricNames.Order.ToList().IndexOf(name);
        return i < 0 ? int.MaxValue : i;
    }

    /// <summary>Percentile bootstrap: <paramref name="samples"/> resamples with replacement, their means sorted, the
    /// (1−c)/2 and (1+c)/2 quantiles with linear interpolation (numpy's default).</summary>
    public static (double Low, double High) BootstrapCi(IReadOnlyList<double> values, int samples, double confidence, int seed)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0) throw new EvalException("bootstrap: found no values; expected at least one");
        var rng = new Random(seed);
        var means = new double[samples];
        int n = values.Count;
        for (int b = 0; b < samples; b++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++) sum += values[rng.Next(n)];
            means[b] = sum / n;
        }
        Array.Sort(means);
        double alpha = (1 - confidence) / 2;
        return (Quantile(means, alpha), Quantile(means, 1 - alpha));
    }

    private static double Quantile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
