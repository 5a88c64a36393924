// What a generation run did: chunks done, examples, drops by reason, usage and cost, and why it stopped.
namespace RagTune.Raft.Generation;

public enum RaftStopReason
{
    Completed,
    BudgetReached,
}

/// <summary>Totals over the whole run directory (earlier sessions included) unless named "ThisSession".</summary>
public sealed record RaftRunResult
{
    public required RaftStopReason StopReason { get; init; }

    public required int ChunksTotal { get; init; }

    public required int ChunksDone { get; init; }

    /// <summary>Chunks found finished in the journal when this session started (not asked again).</summary>
    public required int ChunksResumed { get; init; }

    /// <summary>Examples journaled; the exported dataset has <see cref="CrossChunkDuplicates"/> fewer.</summary>
    public required int Examples { get; init; }

    /// <summary>Examples whose question already appeared for an earlier chunk (removed at export).</summary>
    public required int CrossChunkDuplicates { get; init; }

    public required int Questions { get; init; }

    public required int DuplicateQuestions { get; init; }

    public required int RejectedAnswers { get; init; }

    public required IReadOnlyDictionary<string, int> Dropped { get; init; }

    public required long Calls { get; init; }

    public required long InputTokens { get; init; }

    public required long OutputTokens { get; init; }

    public required decimal CostUsd { get; init; }

    public required long CallsThisSession { get; init; }
}
