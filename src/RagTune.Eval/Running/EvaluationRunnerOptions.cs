// Options for EvaluationRunner: concurrency, the resumable results file, the seed, the optional model-based metrics.
using RagTune.Knowledge.Rag;
using RagTune.Eval.Metrics;

namespace RagTune.Eval.Running;

public sealed class EvaluationRunnerOptions
{
    /// <summary>(system, item) pairs answered at once.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Append-only JSONL of finished results; a rerun with the same path skips what is in it. Null: in memory only.</summary>
    public string? ResultsPath { get; init; }

    /// <summary>Seeds the item subset (MaxItems) and the bootstrap.</summary>
    public int Seed { get; init; }

    /// <summary>Evaluate a seeded random subset of this many items (kept in file order).</summary>
    public int? MaxItems { get; init; }

    public SemanticSimilarity? Similarity { get; init; }

    public LlmJudge? Judge { get; init; }

    public AggregatorOptions? Aggregation { get; init; }

    public IProgress<EvalProgress>? Progress { get; init; }

    public string Title { get; init; } = "RagTune evaluation";

    /// <summary>How answers mark their final answer and quotes: the format the eval set was made with
    /// (<see cref="Data.EvalSetReader.ReadFormat"/>).</summary>
    public RagPromptFormat Format { get; init; } = RagPromptFormat.Default;
}
