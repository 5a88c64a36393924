// Settings for embedding-based (semantic) chunking, after LlamaIndex's SemanticSplitterNodeParser.
namespace RagTune.Knowledge.Chunking;

public sealed record SemanticChunkingOptions
{
    /// <summary>Sentences on each side embedded together with a sentence (LlamaIndex buffer_size), smoothing single-sentence noise.</summary>
    public int BufferSize { get; init; } = 1;

    /// <summary>A break falls after sentence i when the cosine distance to sentence i+1 exceeds this percentile of all
    /// consecutive distances (LlamaIndex breakpoint_percentile_threshold).</summary>
    public double BreakpointPercentile { get; init; } = 95;

    /// <summary>Groups longer than this are split further by sentences.</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>Overlap used only when an over-long group is split further.</summary>
    public int OverlapTokens { get; init; }

    /// <summary>Always break at headings.</summary>
    public bool RespectSections { get; init; } = true;

    /// <summary>Texts per embedding request.</summary>
    public int BatchSize { get; init; } = 64;

    internal void Validate()
    {
        if (BufferSize < 0) throw new KnowledgeException($"SemanticChunkingOptions.BufferSize is {BufferSize}; expected 0 or more");
        if (BreakpointPercentile is < 0 or > 100 || double.IsNaN(BreakpointPercentile))
            throw new KnowledgeException($"SemanticChunkingOptions.BreakpointPercentile is {BreakpointPercentile}; expected a percentile in [0, 100]");
        if (MaxTokens < 1) throw new KnowledgeException($"SemanticChunkingOptions.MaxTokens is {MaxTokens}; expected at least 1");
        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens)
            throw new KnowledgeException($"SemanticChunkingOptions.OverlapTokens is {OverlapTokens}; expected 0 or more and less than MaxTokens ({MaxTokens})");
        if (BatchSize < 1) throw new KnowledgeException($"SemanticChunkingOptions.BatchSize is {BatchSize}; expected at least 1");
    }
}
