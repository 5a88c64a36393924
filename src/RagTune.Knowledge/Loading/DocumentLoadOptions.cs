// Per-format loader settings (JSON fields, HTML footer handling) and the caps that keep one hostile file from exhausting
// memory or time (document length, nesting depth, decompressed size).
namespace RagTune.Knowledge.Loading;

public sealed record DocumentLoadOptions
{
    /// <summary>JSON/JSONL: the string field holding a record's text; a dotted path reaches nested objects ("body.text").</summary>
    public string TextField { get; init; } = "text";

    /// <summary>JSON/JSONL: an optional field holding a record's title.</summary>
    public string? TitleField { get; init; }

    /// <summary>JSON/JSONL: an optional field whose value replaces the record number in the document id ("file.jsonl#&lt;id&gt;").</summary>
    public string? IdField { get; init; }

    /// <summary>HTML: drop &lt;footer&gt; elements (site chrome) along with nav/script/style.</summary>
    public bool HtmlDropFooter { get; init; } = true;

    /// <summary>Any format: the longest text one document may have, in characters (20 million ≈ 10,000 book pages); a longer
    /// one fails with a message naming the file and this cap, before the rest of it is read where the format allows.</summary>
    public int MaxDocumentChars { get; init; } = 20_000_000;

    /// <summary>HTML (also raw HTML in Markdown): the deepest element nesting accepted; deeper pages fail before parsing,
    /// whose cost grows with the square of the depth.</summary>
    public int MaxNestingDepth { get; init; } = 1_000;

    /// <summary>DOCX: the most bytes the parts read from one package may inflate to (a zip bomb stops here).</summary>
    public long MaxDecompressedBytes { get; init; } = 256L * 1024 * 1024;
}
