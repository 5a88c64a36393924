// The reranker a knowledge base is created with (kb.json "reranker"): a local cross-encoder or decoder reranker folder
// that KnowledgeBase.OpenAsync loads on the first search that asks for reranking. Absent in older kb.json files (none).
namespace RagTune.Knowledge.Store;

public sealed record RerankerSettings
{
    /// <summary>The model folder: a *ForSequenceClassification cross-encoder (bge-reranker, ms-marco MiniLM) or a causal
    /// decoder scored Qwen3-Reranker style. Stored as the full path `kb create --reranker` was given.</summary>
    public string ModelDirectory { get; init; } = "";

    /// <summary>Decoder rerankers: the task after "&lt;Instruct&gt;: "; null takes the model card's default.</summary>
    public string? Instruction { get; init; }

    /// <summary>Fused hits handed to the reranker (at least k are); null takes the searcher's default (20).</summary>
    public int? Depth { get; init; }

    internal void Validate(string source)
    {
        if (string.IsNullOrWhiteSpace(ModelDirectory))
            throw new KnowledgeException($"{source}: reranker.model_directory is empty; expected the local reranker model folder");
        if (Depth is < 1)
            throw new KnowledgeException($"{source}: reranker.depth is {Depth}; expected at least 1");
    }
}
