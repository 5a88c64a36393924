// What a RagChatClient adds to a response: the passages it put in the prompt and the citations the answer makes of them.
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Rag;

/// <summary>
/// Structured RAG content in a response message (or streaming update). Non-streaming: one, in the last message, with
/// passages and citations. Streaming: the first update carries the passages (before any text, citations null); the last
/// update (the one with the finish reason) carries the passages again with the citations.
/// </summary>
public sealed class RagContent : AIContent
{
    public RagContent(IReadOnlyList<RetrievedPassage> passages, IReadOnlyList<Citation>? citations)
    {
        Passages = passages ?? throw new ArgumentNullException(nameof(passages));
        Citations = citations;
    }

    /// <summary>The passages in prompt order (<see cref="RetrievedPassage.Index"/> is 1-based).</summary>
    public IReadOnlyList<RetrievedPassage> Passages { get; }

    /// <summary>Quoted spans found in the passages, else the top passages; null until the answer is complete.</summary>
    public IReadOnlyList<Citation>? Citations { get; }

    /// <summary>The RAG content of a response, or null when it has none.</summary>
    public static RagContent? From(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.Messages.SelectMany(m => m.Contents).OfType<RagContent>().LastOrDefault();
    }
}
