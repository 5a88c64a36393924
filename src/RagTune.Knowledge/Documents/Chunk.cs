// A piece of a document sized for retrieval, with an exact span into the document text and its place in the hierarchy.
namespace RagTune.Knowledge.Documents;

public sealed record Chunk
{
    /// <summary>Stable id "documentId::level:index" (see <see cref="MakeId"/>).</summary>
    public required string Id { get; init; }

    public required string DocumentId { get; init; }

    /// <summary>Exactly <c>document.Text[StartChar..EndChar]</c>.</summary>
    public required string Text { get; init; }

    /// <summary>0 for the coarsest level of a hierarchy (or the only level), 1 for the next finer, …</summary>
    public int Level { get; init; }

    /// <summary>Position among the document's chunks of the same level.</summary>
    public int Index { get; init; }

    /// <summary>Id of the enclosing chunk one level coarser, or null at level 0.</summary>
    public string? ParentId { get; init; }

    public int StartChar { get; init; }
    public int EndChar { get; init; }

    /// <summary>Tokens of <see cref="Text"/> by the chunker's token counter.</summary>
    public int TokenCount { get; init; }

    /// <summary>Heading trail at the chunk's start, outermost first.</summary>
    public IReadOnlyList<string> HeadingPath { get; init; } = [];

    /// <summary>Citation and filter fields: the document's metadata plus "source", "title", "heading" and "page" (when paged).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>True when a single sentence exceeded the token limit and had to be cut at word/char boundaries inside this chunk.</summary>
    public bool Oversized { get; init; }

    public static string MakeId(string documentId, int level, int index) => $"{documentId}::{level}:{index}";
}
