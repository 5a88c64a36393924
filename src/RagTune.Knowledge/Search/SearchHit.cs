// One retrieved chunk as the search pipeline passes it along: id, score, which route(s) found it, metadata and text.
namespace RagTune.Knowledge.Search;

/// <param name="Id">The chunk id, unique within its knowledge base. A search runs in one knowledge base (scores of two
/// indexes do not compare); which one a routed question went to is <see cref="Rag.RetrievedPassage.KnowledgeBase"/>.</param>
/// <param name="Score">Higher is better; its scale depends on the stage (BM25, cosine, fused, reranker).</param>
/// <param name="Route">The route that produced it; fused hits list every route that found them, joined by '+'.</param>
/// <param name="Metadata">The chunk's string metadata when the route has it.</param>
/// <param name="Text">The chunk's text when the route has it (the LLM-judge reranker needs it).</param>
public sealed record SearchHit(string Id, double Score, string Route,
    IReadOnlyDictionary<string, string>? Metadata = null, string? Text = null)
{
    /// <summary>The passage a reranker reads: <see cref="Text"/>, else metadata "text", else null.</summary>
    internal string? PassageText => Text ?? (Metadata is not null && Metadata.TryGetValue("text", out var t) ? t : null);
}
