// Aggregated metrics of one system: per metric the mean over the items that have it, the count, a bootstrap CI, and how
// many items have no value because something failed (reports show it beside the figure).
namespace RagTune.Eval.Metrics;

/// <summary>Mean over <see cref="Count"/> items; CiLow/CiHigh bound the percentile-bootstrap confidence interval when
/// computed. <see cref="Errors"/> items are left out of the mean because they failed: the system's call (after its
/// retries), or this metric's own model (a judge verdict with an error, a failed embedding call).</summary>
public sealed record MetricSummary(string Name, int Count, double Mean, double? CiLow = null, double? CiHigh = null, int Errors = 0);

public sealed record SystemSummary(string System, int Items, int Errors, double MeanLatencyMs, IReadOnlyDictionary<string, MetricSummary> Metrics);
