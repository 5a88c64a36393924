// A passage handed to the generator and shown to the user.
using System.Text.Json.Serialization;

namespace RagTune.Knowledge.Rag;

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

    /// <summary>The knowledge base it came from, by route name, when a routed retriever chose between several; else null.</summary>
    [JsonPropertyName("knowledge_base")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? KnowledgeBase { get; init; }
}
