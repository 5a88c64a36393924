// Settings of the synthetic RAFT benchmark: the world, the student, the per-regime training budget and the eval size.
namespace RagTune.Eval.Synthetic;

public sealed record SyntheticBenchmarkOptions
{
    public required string OutputDirectory { get; init; }

    public SyntheticWorldOptions World { get; init; } = new();

    public StudentModelOptions Student { get; init; } = new();

    public SyntheticRaftOptions Raft { get; init; } = new();

    /// <summary>Regimes to train (DSF is evaluated closed-book and with documents: "DSF + RAG").</summary>
    public IReadOnlyList<RaftRegime> Regimes { get; init; } = [RaftRegime.Dsf, RaftRegime.Raft, RaftRegime.RaftCot];

    /// <summary>Optimizer steps per regime, split over the curriculum stages.</summary>
    public int StepsPerRegime { get; init; } = 3000;

    /// <summary>Curriculum for the RAFT regimes: distractors per stage, from easy to the final k (null: k alone).</summary>
    public IReadOnlyList<int>? Curriculum { get; init; } = [0, 1, 2, 4];

    public float LearningRate { get; init; } = 1e-3f;

    public int BatchSize { get; init; } = 16;

    public int MaxLength { get; init; } = 384;

    /// <summary>Test questions evaluated (a seeded subset; null = all).</summary>
    public int? EvalItems { get; init; } = 200;

    /// <summary>The wall-clock budget stated with the results (the steps are what is enforced).</summary>
    public string BudgetNote { get; init; } = "";
}
