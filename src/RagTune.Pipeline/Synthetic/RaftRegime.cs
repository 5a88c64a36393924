// The training regimes of the RAFT paper (Zhang et al. 2024, §4) as run on the synthetic world.
namespace RagTune.Pipeline.Synthetic;

public enum RaftRegime
{
    /// <summary>Domain-specific fine-tuning: question → answer, no documents in training (tested closed-book and with RAG).</summary>
    Dsf,

    /// <summary>RAFT: oracle + k distractors with probability P, distractors only otherwise; the answer alone.</summary>
    Raft,

    /// <summary>RAFT with chain-of-thought: the answer quotes the oracle sentence, then gives &lt;ANSWER&gt;: x.</summary>
    RaftCot,
}

/// <summary>How training examples are drawn: distractors per example and the probability P that the oracle is included.</summary>
public sealed record SyntheticRaftOptions
{
    public int Distractors { get; init; } = 4;

    public double OracleProbability { get; init; } = 0.8;

    /// <summary>Examples per training fact (each with a fresh draw of distractors and oracle inclusion).</summary>
    public int ExamplesPerFact { get; init; } = 1;

    public ulong Seed { get; init; } = 11;
}
