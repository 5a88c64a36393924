// Options for LlmJudge: prompt language, re-asks on an unreadable verdict, context size and the judge's sampling settings.
// Concurrency, retries and timeouts of the calls are the judge client's resilience step (ChatClientBuilder.UseResilience).
using Microsoft.Extensions.AI;

namespace RagTune.Eval.Metrics;

public sealed class LlmJudgeOptions
{
    public JudgeLanguage Language { get; init; } = JudgeLanguage.Auto;

    /// <summary>Questions per verdict when the reply has no valid score (a failed call is not asked again here: its
    /// client's resilience step has already retried it).</summary>
    public int MaxAttempts { get; init; } = 2;

    /// <summary>The context shown to the judge is cut to this many characters.</summary>
    public int MaxContextChars { get; init; } = 12000;

    /// <summary>Cloned per call; temperature 0 is a sensible choice for judging.</summary>
    public ChatOptions? ChatOptions { get; init; }
}
