// Options for ChatClientSystem: where its documents come from, the prompt around them and the sampling settings.
using Microsoft.Extensions.AI;
using RagTune.Eval.Data;

namespace RagTune.Eval.Systems;

public enum ContextSource
{
    /// <summary>Closed-book: the question alone.</summary>
    None,
    /// <summary>The documents that come with the eval item (RAFT's oracle + distractors setting).</summary>
    ItemDocuments,
    /// <summary>The documents returned by <see cref="ChatClientSystemOptions.Retriever"/>.</summary>
    Retriever,
}

public sealed class ChatClientSystemOptions
{
    public required string Name { get; init; }

    public ContextSource Context { get; init; } = ContextSource.None;

    /// <summary>Fetches documents for a question (e.g. a knowledge-base search); required when Context is Retriever.</summary>
    public Func<EvalItem, CancellationToken, Task<IReadOnlyList<RetrievedDocument>>>? Retriever { get; init; }

    public string? SystemPrompt { get; init; }

    /// <summary>Appended after the question, e.g. a request to end with "&lt;ANSWER&gt;: …".</summary>
    public string? Instruction { get; init; }

    /// <summary>Shuffle the item's documents (per item, from <see cref="Seed"/>) so the oracle's position carries no signal.</summary>
    public bool ShuffleDocuments { get; init; } = true;

    public int Seed { get; init; }

    /// <summary>Cloned per call; its Seed is set from <see cref="Seed"/> when unset.</summary>
    public ChatOptions? ChatOptions { get; init; }
}
