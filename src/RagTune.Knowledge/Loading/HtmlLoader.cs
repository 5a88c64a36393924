// Loads HTML with AngleSharp: the visible text only (no script/style/nav/hidden elements), h1–h6 as sections,
// block elements as paragraph breaks, table rows as tab-separated lines.
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace RagTune.Knowledge.Loading;

public sealed class HtmlLoader : IDocumentLoader
{
    private static readonly HashSet<string> Dropped =
        ["script", "style", "noscript", "template", "nav", "head", "svg", "iframe", "object", "canvas", "button", "select", "input", "textarea"];

    private static readonly HashSet<string> Blocks =
    [
        "p", "div", "section", "article", "main", "header", "aside", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre",
        "form", "fieldset", "figure", "figcaption", "address", "details", "summary", "hr", "caption", "body", "html", "footer",
    ];

    public IReadOnlyList<string> Extensions { get; } = [".html", ".htm", ".xhtml"];

    public Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var html = new HtmlParser().ParseDocument(source.DecodeText());
        var builder = new StructuredTextBuilder();
        if (html.Body is { } body) Render(body, builder, options, preformatted: false);
        var (text, sections) = builder.Build();

        var title = html.Title?.Trim();
        if (string.IsNullOrEmpty(title)) title = sections.FirstOrDefault(s => s.Level == 1)?.Title;
        var metadata = new Dictionary<string, string>();
        if (html.DocumentElement.GetAttribute("lang") is { Length: > 0 } lang) metadata["lang"] = lang;
        if (html.QuerySelector("meta[name=description]")?.GetAttribute("content") is { Length: > 0 } description)
            metadata["description"] = description.Trim();
        IReadOnlyList<DocumentLoadResult> results = [DocumentLoadResult.Ok(source.ToDocument(text, title, sections, metadata))];
        return Task.FromResult(results);
    }

    /// <summary>Appends the visible text of an HTML fragment (a raw HTML block inside Markdown) to <paramref name="builder"/>.</summary>
    internal static void RenderFragment(string html, StructuredTextBuilder builder, DocumentLoadOptions options)
    {
        var document = new HtmlParser().ParseDocument("<!DOCTYPE html><html><body>" + html + "</body></html>");
        if (document.Body is { } body) Render(body, builder, options, preformatted: false);
    }

    private static void Render(INode node, StructuredTextBuilder builder, DocumentLoadOptions options, bool preformatted)
    {
        foreach (var child in node.ChildNodes)
        {
            if (child is IText textNode)
            {
                if (preformatted) builder.Preformatted(textNode.Data);
                else builder.Text(textNode.Data);
                continue;
            }
            if (child is not IElement element) continue;
            var name = element.LocalName;
            if (Dropped.Contains(name) || (name == "footer" && options.HtmlDropFooter) || IsHidden(element)) continue;

            if (name.Length == 2 && name[0] == 'h' && name[1] is >= '1' and <= '6')
            {
                builder.BeginHeading(name[1] - '0');
                Render(element, builder, options, preformatted);
                builder.EndHeading();
            }
            else if (name == "br") builder.LineBreak();
            else if (name == "table") RenderTable(element, builder, options);
            else if (Blocks.Contains(name))
            {
                builder.ParagraphBreak();
                Render(element, builder, options, preformatted || name == "pre");
                builder.ParagraphBreak();
            }
            else Render(element, builder, options, preformatted);
        }
    }

    private static void RenderTable(IElement table, StructuredTextBuilder builder, DocumentLoadOptions options)
    {
        builder.ParagraphBreak();
        foreach (var row in table.QuerySelectorAll("tr"))
        {
            if (IsHidden(row)) continue;
            var cells = row.Children.Where(c => c.LocalName is "td" or "th").Select(cell =>
            {
                var cellBuilder = new StructuredTextBuilder();
                Render(cell, cellBuilder, options, preformatted: false);
                return cellBuilder.Build().Text.Replace('\n', ' ');
            }).ToList();
            if (cells.All(string.IsNullOrWhiteSpace)) continue;
            builder.LineBreak();
            builder.Preformatted(string.Join('\t', cells));
        }
        builder.ParagraphBreak();
    }

    private static bool IsHidden(IElement element)
    {
        if (element.HasAttribute("hidden") || element.GetAttribute("aria-hidden") == "true") return true;
        var style = element.GetAttribute("style");
        if (style is null) return false;
        var compact = style.Replace(" ", "").ToLowerInvariant();
        return compact.Contains("display:none") || compact.Contains("visibility:hidden");
    }
}
