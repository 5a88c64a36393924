// Sizes for sentence-aware token chunking.
namespace RagTune.Knowledge.Chunking;

public sealed record ChunkingOptions
{
    /// <summary>Upper bound on a chunk's tokens; only a chunk holding a cut-up over-long sentence may be flagged past it.</summary>
    public int MaxTokens { get; init; } = 512;

    /// <summary>Up to this many tokens of whole trailing sentences of a chunk are repeated at the start of the next.</summary>
    public int OverlapTokens { get; init; } = 64;

    /// <summary>Never pack text from two sections (split at every heading) into one chunk, and never overlap across a heading.</summary>
    public bool RespectSections { get; init; } = true;

    internal void Validate()
    {
        if (MaxTokens < 1) throw new KnowledgeException($"ChunkingOptions.MaxTokens is {MaxTokens}; expected at least 1");
        if (OverlapTokens < 0 || OverlapTokens >= MaxTokens)
            throw new KnowledgeException($"ChunkingOptions.OverlapTokens is {OverlapTokens}; expected 0 or more and less than MaxTokens ({MaxTokens})");
    }
}
