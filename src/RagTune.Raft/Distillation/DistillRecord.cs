// The journal line written when a distillation item is finished: kept trace or failure, attempts, usage.
namespace RagTune.Raft.Distillation;

public sealed record DistillRecord
{
    public required int Index { get; init; }

    public required string Id { get; init; }

    public required string Question { get; init; }

    public required string Reference { get; init; }

    public required bool Kept { get; init; }

    public required int Attempts { get; init; }

    /// <summary>The kept trace (reasoning ending in the final answer), or the last failed reply.</summary>
    public string? Response { get; init; }

    public string? FinalAnswer { get; init; }

    /// <summary>&lt;think&gt; / reasoning_content of the kept or last reply, kept apart from the trace.</summary>
    public string? TeacherReasoning { get; init; }

    public long Calls { get; init; }

    public long InputTokens { get; init; }

    public long OutputTokens { get; init; }

    public decimal CostUsd { get; init; }
}
