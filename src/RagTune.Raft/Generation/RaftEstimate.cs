// A dry-run estimate of a RAFT generation: calls, tokens and cost before a single request is paid for.
namespace RagTune.Raft.Generation;

/// <summary>
/// <see cref="CostUsd"/> is null when the model has no price in the table (e.g. a local model). Assumes every answer passes
/// the quality gate on the first try; each retry adds one answer call.
/// </summary>
public sealed record RaftEstimate(
    string Model,
    int Chunks,
    long QuestionCalls,
    long AnswerCalls,
    long InputTokens,
    long OutputTokens,
    decimal? CostUsd)
{
    public long Calls => QuestionCalls + AnswerCalls;
}
