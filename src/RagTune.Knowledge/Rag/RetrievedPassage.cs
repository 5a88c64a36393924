// A passage handed to the generator and shown to the user, and a citation of one (with the quoted span when there is one).
using System.Text.Json.Serialization;

namespace RagTune.Server.Rag;

public sealed record RetrievedPassage
{
    /// <summary>1-based position in the prompt.</summary>
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("chunk_id")] public required string ChunkId { get; init; }
    [JsonPropertyName("document_id")] public required string DocumentId { get; init; }
    [JsonPropertyName("title")] public string Title { get; init; } = "";

    /// <summary>The source file relative to the ingested folder (never a server path).</summary>
    [JsonPropertyName("source")] public string Source { get; init; } = "";
    [JsonPropertyName("heading_path")] public IReadOnlyList<string> HeadingPath { get; init; } = [];
    [JsonPropertyName("text")] public required string Text { get; init; }
    [JsonPropertyName("score")] public double Score { get; init; }

    /// <summary>The chunk's character span in its document.</summary>
    [JsonPropertyName("start_char")] public int StartChar { get; init; }
    [JsonPropertyName("end_char")] public int EndChar { get; init; }
}

public sealed record Citation
{
    /// <summary>The passage's 1-based index in the prompt (and in <c>passages</c>).</summary>
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("document")] public required string Document { get; init; }
    [JsonPropertyName("title")] public string Title { get; init; } = "";
    [JsonPropertyName("chunk_id")] public required string ChunkId { get; init; }

    /// <summary>The quoted text (from ##begin_quote##…##end_quote##), or null when the citation is a top passage.</summary>
    [JsonPropertyName("quote")] public string? Quote { get; init; }

    /// <summary>Span of the quote in the chunk's text (the whole chunk when there is no quote).</summary>
    [JsonPropertyName("start")] public int Start { get; init; }
    [JsonPropertyName("end")] public int End { get; init; }

    /// <summary>"quote" (the model quoted it) or "retrieved" (a top passage, the model quoted nothing).</summary>
    [JsonPropertyName("kind")] public required string Kind { get; init; }
}
