// Settings of the synthetic RAFT benchmark: the world, the student, the per-regime training budget, the curriculum, the
// learning-rate sweep and the eval size.
namespace RagTune.Pipeline.Synthetic;

public sealed record SyntheticBenchmarkOptions
{
    public required string OutputDirectory { get; init; }

    public SyntheticWorldOptions World { get; init; } = new();

    public StudentModelOptions Student { get; init; } = new();

    public SyntheticRaftOptions Raft { get; init; } = new();

    /// <summary>Regimes to train (DSF is evaluated closed-book and with documents: "DSF + RAG").</summary>
    public IReadOnlyList<RaftRegime> Regimes { get; init; } = [RaftRegime.Dsf, RaftRegime.Raft, RaftRegime.RaftCot];

    /// <summary>Optimizer steps per regime (per learning rate when sweeping), split over the curriculum stages.</summary>
    public int StepsPerRegime { get; init; } = 3000;

    /// <summary>Curriculum for the RAFT regimes: distractors per stage, from easy to the final k (null: k alone).</summary>
    public IReadOnlyList<int>? Curriculum { get; init; } = [1, 2, 4];

    /// <summary>Relative length of each curriculum stage (null: equal); the default spends most steps on the final k,
    /// the setting the students are tested in.</summary>
    public IReadOnlyList<double>? CurriculumWeights { get; init; } = [1, 1, 6];

    /// <summary>Peak learning rates; with more than one, each regime is trained at every rate and the rate with the best
    /// EM on a validation split of training entities (oracle + distractors) is kept. The test split never chooses.</summary>
    public IReadOnlyList<float> LearningRates { get; init; } = [1e-3f];

    /// <summary>Fraction of the training documents held out as the sweep's validation entities (only when sweeping).</summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Validation questions scored per learning rate (a seeded subset).</summary>
    public int ValidationItems { get; init; } = 100;

    /// <summary>Steps of reading practice given to the base student before any regime (0: every regime starts from random
    /// weights). The practice is on another world (other entities, other values, same sentence templates), one document
    /// per question and always the right one: the base learns to answer from a document, as the paper's base LLM can,
    /// but never sees this world's facts nor a distractor.</summary>
    public int PretrainSteps { get; init; }

    /// <summary>The answer format of the reading practice: bare answers (RAFT, the default) or the quoted sentence then the
    /// answer (RAFT + CoT), so a student fine-tuned in that format (e.g. a LoRA adapter) need not learn it first.</summary>
    public RaftRegime PretrainRegime { get; init; } = RaftRegime.Raft;

    public int BatchSize { get; init; } = 16;

    public int MaxLength { get; init; } = 384;

    /// <summary>Test questions evaluated (a seeded subset; null = all).</summary>
    public int? EvalItems { get; init; } = 200;

    /// <summary>The wall-clock budget stated with the results (the steps are what is enforced).</summary>
    public string BudgetNote { get; init; } = "";
}
