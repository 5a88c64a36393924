// One RAFT training example as journaled and exported: question, shuffled context documents, oracle, verified CoT answer.
using System.Text.Json.Serialization;

namespace RagTune.Raft.Generation;

/// <summary>
/// <see cref="Titles"/>/<see cref="Documents"/> are the k + 1 context documents in their shuffled order;
/// <see cref="OracleIncluded"/> says whether the oracle chunk is among them (probability P).
/// </summary>
public sealed record RaftExample
{
    public required string Id { get; init; }

    public required string ChunkId { get; init; }

    public required string DocumentId { get; init; }

    /// <summary>"train" or "test" (decided per chunk).</summary>
    public required string Split { get; init; }

    /// <summary>"en" or "zh".</summary>
    public required string Language { get; init; }

    public required string Question { get; init; }

    public required IReadOnlyList<string> Titles { get; init; }

    public required IReadOnlyList<string> Documents { get; init; }

    /// <summary>Chunk ids of <see cref="Documents"/>, same order (used to mine embedding negatives).</summary>
    public required IReadOnlyList<string> DocumentIds { get; init; }

    public required bool OracleIncluded { get; init; }

    public required string OracleContext { get; init; }

    public required string CotAnswer { get; init; }

    public required string FinalAnswer { get; init; }

    public required string Instruction { get; init; }

    /// <summary>The teacher's separate reasoning (&lt;think&gt; or reasoning_content), if any; never part of the CoT answer.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TeacherReasoning { get; init; }
}
