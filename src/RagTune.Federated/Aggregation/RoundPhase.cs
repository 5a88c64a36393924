// One phase of a round (fit or evaluate) as recorded: the sites whose answers counted, their examples, the weighted means of
// their metrics, and every site that failed with the reason (the field at fault for a malformed answer).
namespace RagTune.Federated.Aggregation;

public sealed record RoundPhase
{
    /// <summary>The sites whose answers counted, by name.</summary>
    public IReadOnlyList<string> Sites { get; init; } = [];

    /// <summary>Σ num_examples over <see cref="Sites"/>.</summary>
    public long NumExamples { get; init; }

    /// <summary>Evaluate: the loss weighted by num_examples (Flower's weighted_loss_avg); null for fit or when none counted.</summary>
    public double? Loss { get; init; }

    /// <summary>Every numeric metric the sites reported (double or sint64), averaged weighted by num_examples over the sites
    /// that reported it; e.g. fit "loss", evaluate "exact_match".</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    public IReadOnlyList<SiteFailure> Failures { get; init; } = [];
}
