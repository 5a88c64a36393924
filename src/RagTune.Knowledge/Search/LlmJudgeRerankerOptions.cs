// Settings of the LLM-judge reranker.
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace RagTune.Knowledge.Search;

public sealed record LlmJudgeRerankerOptions
{
    /// <summary>Judge calls in flight at once.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Passages longer than this are cut (characters) before they go into the prompt.</summary>
    public int MaxPassageCharacters { get; init; } = 2000;

    /// <summary>Chat options for each call (cloned, never mutated); by default temperature 0. No output cap by default: reasoning models think before the grade.</summary>
    public ChatOptions? ChatOptions { get; init; }

    /// <summary>The passage text of a hit; by default <see cref="SearchHit.Text"/>, else metadata "text".</summary>
    public Func<SearchHit, CancellationToken, ValueTask<string?>>? PassageText { get; init; }

    /// <summary>Receives the warning when judging fails and the original order is kept.</summary>
    public ILogger? Logger { get; init; }
}
