// A citation of a retrieved passage: the quoted span when the answer quoted it, else the whole passage.
using System.Text.Json.Serialization;

namespace RagTune.Knowledge.Rag;

public sealed record Citation
{
    /// <summary>The passage's 1-based index in the prompt (and in <c>passages</c>).</summary>
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("document")] public required string Document { get; init; }
    [JsonPropertyName("title")] public string Title { get; init; } = "";
    [JsonPropertyName("chunk_id")] public required string ChunkId { get; init; }

    /// <summary>The quoted text (between the prompt format's quote markers), or null when the citation is a top passage.</summary>
    [JsonPropertyName("quote")] public string? Quote { get; init; }

    /// <summary>Span of the quote in the chunk's text (the whole chunk when there is no quote).</summary>
    [JsonPropertyName("start")] public int Start { get; init; }
    [JsonPropertyName("end")] public int End { get; init; }

    /// <summary>"quote" (the model quoted it) or "retrieved" (a top passage, the model quoted nothing).</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }
}
