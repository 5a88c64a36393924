// What one finished federated round did: who trained and on how many examples, who failed and why, and the evaluation of
// the new global adapter on the sites' held-out data.
namespace RagTune.Federated.Aggregation;

public sealed record RoundRecord
{
    public required int Round { get; init; }

    /// <summary>Wall-clock seconds from the round's start (waiting for sites included) to its saved adapter.</summary>
    public double Seconds { get; init; }

    public required RoundPhase Fit { get; init; }

    /// <summary>Null when evaluation is off (fraction_evaluate 0) or no site was connected to evaluate.</summary>
    public RoundPhase? Evaluate { get; init; }
}
