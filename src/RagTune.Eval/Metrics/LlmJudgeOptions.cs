// Options for LlmJudge: prompt language, concurrency bound, attempts, context size and the judge's sampling settings.
using Microsoft.Extensions.AI;

namespace RagTune.Eval.Metrics;

public sealed class LlmJudgeOptions
{
    public JudgeLanguage Language { get; init; } = JudgeLanguage.Auto;

    /// <summary>At most this many judge calls in flight, across all callers of this judge.</summary>
    public int MaxConcurrency { get; init; } = 2;

    /// <summary>Attempts per verdict when the reply cannot be parsed or the call fails.</summary>
    public int MaxAttempts { get; init; } = 2;

    /// <summary>The context shown to the judge is cut to this many characters.</summary>
    public int MaxContextChars { get; init; } = 12000;

    /// <summary>Cloned per call; temperature 0 is a sensible choice for judging.</summary>
    public ChatOptions? ChatOptions { get; init; }
}
