// Options for Aggregator: which metrics get a bootstrap confidence interval, how many resamples, the seed.
using RagTune.Eval.Metrics;

namespace RagTune.Eval.Running;

public sealed class AggregatorOptions
{
    public int BootstrapSamples { get; init; } = 1000;
    public double Confidence { get; init; } = 0.95;
    public int Seed { get; init; }

    public IReadOnlyCollection<string> BootstrapMetrics { get; init; } =
        [MetricNames.ExactMatch, MetricNames.F1, MetricNames.SquadExactMatch, MetricNames.SquadF1, MetricNames.CmrcExactMatch, MetricNames.CmrcF1];
}
