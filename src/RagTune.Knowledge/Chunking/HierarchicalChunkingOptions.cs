// Granularities for hierarchical ("node group") chunking, coarsest first.
namespace RagTune.Knowledge.Chunking;

public sealed record HierarchicalChunkingOptions
{
    /// <summary>Max tokens per level, strictly decreasing: level 0 uses the first size, level 1 the next, …</summary>
    public IReadOnlyList<int> Levels { get; init; } = [1024, 256, 128];

    /// <summary>Overlap in tokens at every level (capped below each level's size); children overlap only inside their parent.</summary>
    public int OverlapTokens { get; init; } = 20;

    public bool RespectSections { get; init; } = true;

    internal void Validate()
    {
        if (Levels.Count == 0) throw new KnowledgeException("HierarchicalChunkingOptions.Levels is empty; expected token sizes such as [1024, 256, 128]");
        for (var i = 0; i < Levels.Count; i++)
        {
            if (Levels[i] < 1) throw new KnowledgeException($"HierarchicalChunkingOptions.Levels[{i}] is {Levels[i]}; expected at least 1");
            if (i > 0 && Levels[i] >= Levels[i - 1])
                throw new KnowledgeException($"HierarchicalChunkingOptions.Levels[{i}] is {Levels[i]}; expected less than the coarser level's {Levels[i - 1]} (sizes go coarse to fine)");
        }
        if (OverlapTokens < 0) throw new KnowledgeException($"HierarchicalChunkingOptions.OverlapTokens is {OverlapTokens}; expected 0 or more");
    }
}
