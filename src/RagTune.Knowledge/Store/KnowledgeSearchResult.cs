// One search result ready for display and citation: the chunk, where it comes from, its score and the query terms it contains.
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Store;

public sealed record KnowledgeSearchResult
{
    /// <summary>1-based.</summary>
    public int Rank { get; init; }
    public required string ChunkId { get; init; }
    public required string DocumentId { get; init; }
    public required string Text { get; init; }
    public int Level { get; init; }

    /// <summary>Full path of the source file when it was ingested.</summary>
    public required string SourcePath { get; init; }
    public required string RelativePath { get; init; }
    public required string Title { get; init; }
    public IReadOnlyList<string> HeadingPath { get; init; } = [];

    /// <summary>The chunk's span in its document's text.</summary>
    public int StartChar { get; init; }
    public int EndChar { get; init; }

    public double Score { get; init; }

    /// <summary>Routes that found it, joined by '+'.</summary>
    public required string Route { get; init; }

    /// <summary>Distinct surface forms in <see cref="Text"/> whose analysed terms occur in the query, in order of first appearance.</summary>
    public IReadOnlyList<string> MatchedTerms { get; init; } = [];

    /// <summary>Spans of <see cref="Text"/> holding matched terms (for highlighting), in order, non-overlapping.</summary>
    public IReadOnlyList<TextSpan> Highlights { get; init; } = [];

    /// <summary>With parent retrieval: the indexed chunks that matched inside this one; otherwise just this chunk.</summary>
    public IReadOnlyList<string> MatchedChunkIds { get; init; } = [];

    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
}
