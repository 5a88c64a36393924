// One finished (system, item) evaluation: the answer, the documents, the metric values and the judge's verdicts —
// one line of the resumable results JSONL.
using RagTune.Eval.Metrics;
using RagTune.Eval.Systems;

namespace RagTune.Eval.Running;

public sealed record ItemResult
{
    public required string System { get; init; }
    public required string ItemId { get; init; }
    /// <summary>The system's raw output.</summary>
    public string Answer { get; init; } = "";
    /// <summary>The answer scored against the references (text after the last &lt;ANSWER&gt;:).</summary>
    public string FinalAnswer { get; init; } = "";
    public IReadOnlyList<RetrievedDocument>? Documents { get; init; }
    public double LatencyMs { get; init; }
    /// <summary>Set when the system failed; such a result is retried by the next run.</summary>
    public string? Error { get; init; }
    public Dictionary<string, double> Metrics { get; init; } = new(StringComparer.Ordinal);
    public CitationResult? Citations { get; init; }
    public Dictionary<string, JudgeVerdict>? Judge { get; init; }
    /// <summary>Metrics that could not be computed (e.g. the embedding service failed); the result still counts as finished.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }
}
