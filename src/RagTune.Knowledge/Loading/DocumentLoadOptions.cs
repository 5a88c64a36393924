// Per-format loader settings (JSON fields, HTML footer handling).
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
}
