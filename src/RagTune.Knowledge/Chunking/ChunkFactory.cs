// Builds a chunk for a span of a document: id, heading trail and citation metadata.
using System.Globalization;
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Chunking;

internal static class ChunkFactory
{
    public static Chunk Create(Document document, int start, int end, int tokens, int level, int index, string? parentId, bool oversized)
    {
        var headings = document.HeadingPathAt(start);
        var metadata = new Dictionary<string, string>(document.Metadata)
        {
            ["source"] = document.RelativePath,
            ["title"] = document.Title,
        };
        if (headings.Count > 0) metadata["heading"] = string.Join(" > ", headings);
        if (document.PageAt(start) is { } page) metadata["page"] = page.ToString(CultureInfo.InvariantCulture);
        return new Chunk
        {
            Id = Chunk.MakeId(document.Id, level, index),
            DocumentId = document.Id,
            Text = document.Text[start..end],
            Level = level,
            Index = index,
            ParentId = parentId,
            StartChar = start,
            EndChar = end,
            TokenCount = tokens,
            HeadingPath = headings,
            Metadata = metadata,
            Oversized = oversized,
        };
    }
}
