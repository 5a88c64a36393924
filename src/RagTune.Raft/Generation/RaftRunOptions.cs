// Per-invocation knobs of a run that do not change its output: budget, force, progress sink.
namespace RagTune.Raft.Generation;

public sealed class RaftRunOptions
{
    /// <summary>Stop starting new work once the cost (this run and earlier sessions of it) reaches this many USD.</summary>
    public decimal? MaxCostUsd { get; set; }

    /// <summary>Start over (old journal set aside) when the run directory holds different settings.</summary>
    public bool Force { get; set; }

    public IProgress<RaftProgress>? Progress { get; set; }
}
