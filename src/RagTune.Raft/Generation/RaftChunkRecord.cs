// The journal line written when a chunk is finished: its examples, what was dropped and why, and what it cost.
namespace RagTune.Raft.Generation;

public sealed record RaftChunkRecord
{
    public required int ChunkIndex { get; init; }

    public required string ChunkId { get; init; }

    public required IReadOnlyList<RaftExample> Examples { get; init; }

    /// <summary>Distinct questions the teacher wrote for the chunk (at most N).</summary>
    public int Questions { get; init; }

    /// <summary>Repeated questions removed within the chunk.</summary>
    public int DuplicateQuestions { get; init; }

    /// <summary>Questions dropped after every answer attempt failed, by the last attempt's <see cref="DropReason"/>.</summary>
    public IReadOnlyDictionary<string, int> Dropped { get; init; } = new Dictionary<string, int>();

    /// <summary>Answers rejected by the quality gate (including ones that later passed on retry).</summary>
    public int RejectedAnswers { get; init; }

    public long Calls { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public decimal CostUsd { get; init; }
}
