// Options for ChatClientSystem: where its documents come from, the prompt around them and the sampling settings.
using RagTune.Knowledge.Rag;
using Microsoft.Extensions.AI;
using RagTune.Eval.Data;

namespace RagTune.Eval.Systems;

public enum ContextSource
{
    /// <summary>Closed-book: the question alone.</summary>
    None,
    /// <summary>The documents that come with the eval item (RAFT's oracle + distractors setting).</summary>
    ItemDocuments,
    /// <summary>The passages <see cref="ChatClientSystemOptions.Retriever"/> returns for the question (RAG through a RagChatClient).</summary>
    Retriever,
}

public sealed class ChatClientSystemOptions
{
    public required string Name { get; init; }

    public ContextSource Context { get; init; } = ContextSource.None;

    /// <summary>Searches passages for a question (e.g. a KnowledgeBaseRetriever); required when Context is Retriever.</summary>
    public IRagRetriever? Retriever { get; init; }

    /// <summary>Passages retrieved per question when Context is Retriever.</summary>
    public int TopK { get; init; } = 4;

    /// <summary>The system message; null = the format's <see cref="RagPromptFormat.SystemPrompt"/>.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>How documents and the question become the user turn: the format the model was trained with.</summary>
    public RagPromptFormat Format { get; init; } = RagPromptFormat.Default;

    /// <summary>Appended after the question, e.g. a request to end with "&lt;ANSWER&gt;: …".</summary>
    public string? Instruction { get; init; }

    /// <summary>Shuffle the item's documents (per item, from <see cref="Seed"/>) so the oracle's position carries no signal.</summary>
    public bool ShuffleDocuments { get; init; } = true;

    public int Seed { get; init; }

    /// <summary>Cloned per call; its Seed is set from <see cref="Seed"/> when unset.</summary>
    public ChatOptions? ChatOptions { get; init; }
}
