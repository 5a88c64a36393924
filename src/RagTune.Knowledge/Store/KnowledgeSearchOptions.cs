// Per-query choices of KnowledgeBase.SearchAsync; the defaults come from kb.json.
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

public sealed record KnowledgeSearchOptions
{
    public int K { get; init; } = 5;

    /// <summary>"bm25", "dense" or both; null runs every route the knowledge base has (dense only when it embeds).</summary>
    public IReadOnlyList<string>? Routes { get; init; }

    /// <summary>Fusion of several routes; null takes kb.json's default.</summary>
    public FusionMethod? Fusion { get; init; }

    public MetadataFilter? Filter { get; init; }

    /// <summary>Hierarchical retrieval: match the indexed (fine) chunks, return their ancestors, deduplicated (best score kept).</summary>
    public bool ReturnParent { get; init; }

    /// <summary>With <see cref="ReturnParent"/>: the level returned (0 = coarsest); null = one level above each match.</summary>
    public int? ParentLevel { get; init; }

    /// <summary>Rerank the fused hits with the reranker given when opening, else the one kb.json records; a
    /// KnowledgeException when there is neither.</summary>
    public bool Rerank { get; init; }

    /// <summary>Document-first search: rank documents on the document route (kb.json document_route), then only the
    /// chunks of the best <see cref="Documents"/>. A KnowledgeException when the knowledge base has no document route.</summary>
    public bool Hierarchical { get; init; }

    /// <summary>With <see cref="Hierarchical"/>: how many documents the chunk search is restricted to.</summary>
    public int Documents { get; init; } = 20;
}
