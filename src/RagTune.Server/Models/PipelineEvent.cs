// What a chat pipeline streams to the HTTP layer: text pieces, then the retrieved passages / citations / route, then the end.
using RagTune.Knowledge.Rag;

namespace RagTune.Server.Models;

public sealed record PipelineEvent
{
    public string? Text { get; init; }

    /// <summary>The passages put in the prompt (RAG only), sent before any text.</summary>
    public IReadOnlyList<RetrievedPassage>? Passages { get; init; }

    /// <summary>The pipeline a router chose (router models only).</summary>
    public string? Route { get; init; }

    /// <summary>Set on the last event: "stop" or "length".</summary>
    public string? FinishReason { get; init; }

    public IReadOnlyList<Citation>? Citations { get; init; }

    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }
}

/// <summary>The sampling knobs of one chat request, already validated.</summary>
public sealed record ChatRequestOptions
{
    public float? Temperature { get; init; }
    public float? TopP { get; init; }
    public int? MaxTokens { get; init; }
    public long? Seed { get; init; }
    public IReadOnlyList<string> Stop { get; init; } = [];
}
