// Aggregated metrics of one system: per metric the mean over the items that have it, the count, and a bootstrap CI.
namespace RagTune.Eval.Metrics;

/// <summary>Mean over <see cref="Count"/> items; CiLow/CiHigh bound the percentile-bootstrap confidence interval when computed.</summary>
public sealed record MetricSummary(string Name, int Count, double Mean, double? CiLow = null, double? CiHigh = null);

public sealed record SystemSummary(string System, int Items, int Errors, double MeanLatencyMs, IReadOnlyDictionary<string, MetricSummary> Metrics);
