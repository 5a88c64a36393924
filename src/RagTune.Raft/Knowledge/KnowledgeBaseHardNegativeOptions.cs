// Options of KnowledgeBaseHardNegativeProvider: what the search is run with, and over which routes.
namespace RagTune.Raft.Knowledge;

/// <summary>What the hard-negative search is run with.</summary>
public enum HardNegativeQuery
{
    /// <summary>The question (what a retriever will be asked at run time).</summary>
    Question,
    /// <summary>The oracle chunk's text (passages about the same thing, whatever the question).</summary>
    ChunkText,
    /// <summary>The question followed by the oracle chunk's text.</summary>
    QuestionAndChunkText,
}

/// <summary>Options of <see cref="KnowledgeBaseHardNegativeProvider"/>.</summary>
public sealed record KnowledgeBaseHardNegativeOptions
{
    public HardNegativeQuery Query { get; init; } = HardNegativeQuery.Question;

    /// <summary>"bm25", "dense" or both; null = every route the knowledge base has.</summary>
    public IReadOnlyList<string>? Routes { get; init; }

    /// <summary>Longest query in characters (a whole chunk as a BM25 query is slow and diluted); the start is kept.</summary>
    public int MaxQueryChars { get; init; } = 2000;
}
