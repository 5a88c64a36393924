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
        var markup = source.DecodeText();
        if (HtmlNesting.Exceeds(markup, options.MaxNestingDepth))
            throw NestedTooDeep(source.RelativePath, options.MaxNestingDepth);
        var html = new HtmlParser().ParseDocument(markup);
        var builder = new StructuredTextBuilder(options.MaxDocumentChars, source.RelativePath);
        if (html.Body is { } body) Render(body, builder, options, preformatted: false, tableDepth: 0);
        var (text, sections) = builder.Build();

        var title = html.Title?.Trim();
        if (string.IsNullOrEmpty(title)) title = sections.FirstOrDefault(s => s.Level == 1)?.Title;
        var metadata = new Dictionary<string, string>();
        if (html.DocumentElement.GetAttribute("lang") is { Length: > 0 } lang) metadata["lang"] = lang;
        // The head's own children, not a selector over the whole tree.
        if (html.Head?.Children.FirstOrDefault(e => e.LocalName == "meta" && e.GetAttribute("name") == "description")?.GetAttribute("content") is { Length: > 0 } description)
            metadata["description"] = description.Trim();
        IReadOnlyList<DocumentLoadResult> results = [DocumentLoadResult.Ok(source.ToDocument(text, title, sections, metadata))];
        return Task.FromResult(results);
    }

    /// <summary>Appends the visible text of an HTML fragment (a raw HTML block inside Markdown) to <paramref name="builder"/>.</summary>
    internal static void RenderFragment(string html, StructuredTextBuilder builder, DocumentLoadOptions options, string name)
    {
        if (HtmlNesting.Exceeds(html, options.MaxNestingDepth)) throw NestedTooDeep(name, options.MaxNestingDepth);
        var document = new HtmlParser().ParseDocument("<!DOCTYPE html><html><body>" + html + "</body></html>");
        if (document.Body is { } body) Render(body, builder, options, preformatted: false, tableDepth: 0);
    }

    private static KnowledgeException NestedTooDeep(string name, int limit) =>
        new($"cannot read '{name}': its HTML elements nest more than {limit} levels deep (DocumentLoadOptions.MaxNestingDepth); expected a page a browser would render (Chromium caps nesting at 512)");

    private enum Close { Nothing, Heading, Block }

    /// <param name="Node">The element whose children are being rendered.</param>
    /// <param name="Next">Index of the next child to render.</param>
    /// <param name="Preformatted">Inside &lt;pre&gt;: text keeps its lines.</param>
    /// <param name="Close">What to emit once every child is done.</param>
    private readonly record struct Frame(INode Node, int Next, bool Preformatted, Close Close);

    /// <summary>Renders the children of <paramref name="root"/> depth-first with an explicit stack, so that nesting depth
    /// (40,000 nested &lt;div&gt;s in a hostile page) costs heap, not call stack.</summary>
    private static void Render(INode root, StructuredTextBuilder builder, DocumentLoadOptions options, bool preformatted, int tableDepth)
    {
        var stack = new Stack<Frame>();
        stack.Push(new Frame(root, 0, preformatted, Close.Nothing));
        while (stack.TryPop(out var frame))
        {
            var children = frame.Node.ChildNodes;
            if (frame.Next >= children.Length)
            {
                if (frame.Close == Close.Heading) builder.EndHeading();
                else if (frame.Close == Close.Block) builder.ParagraphBreak();
                continue;
            }
            stack.Push(frame with { Next = frame.Next + 1 });
            var child = children[frame.Next];
            if (child is IText textNode)
            {
                if (frame.Preformatted) builder.Preformatted(textNode.Data);
                else builder.Text(textNode.Data);
                continue;
            }
            if (child is not IElement element) continue;
            var name = element.LocalName;
            if (Dropped.Contains(name) || (name == "footer" && options.HtmlDropFooter) || IsHidden(element)) continue;

            if (name.Length == 2 && name[0] == 'h' && name[1] is >= '1' and <= '6')
            {
                builder.BeginHeading(name[1] - '0');
                stack.Push(new Frame(element, 0, frame.Preformatted, Close.Heading));
            }
            else if (name == "br") builder.LineBreak();
            // Tables within tables recurse through their cells; past a sane depth a table is plain blocks of text.
            else if (name == "table" && tableDepth < MaxTableNesting) RenderTable(element, builder, options, tableDepth + 1);
            else if (Blocks.Contains(name) || name == "table")
            {
                builder.ParagraphBreak();
                stack.Push(new Frame(element, 0, frame.Preformatted || name == "pre", Close.Block));
            }
            else stack.Push(new Frame(element, 0, frame.Preformatted, Close.Nothing));
        }
    }

    private const int MaxTableNesting = 8;

    private static void RenderTable(IElement table, StructuredTextBuilder builder, DocumentLoadOptions options, int tableDepth)
    {
        builder.ParagraphBreak();
        foreach (var row in Rows(table))
        {
            if (IsHidden(row)) continue;
            var cells = row.Children.Where(c => c.LocalName is "td" or "th").Select(cell =>
            {
                var cellBuilder = new StructuredTextBuilder(options.MaxDocumentChars);
                Render(cell, cellBuilder, options, preformatted: false, tableDepth);
                return cellBuilder.Build().Text.Replace('\n', ' ');
            }).ToList();
            if (cells.All(string.IsNullOrWhiteSpace)) continue;
            builder.LineBreak();
            builder.Preformatted(string.Join('\t', cells));
        }
        builder.ParagraphBreak();
    }

    /// <summary>The table's own rows (directly or in thead/tbody/tfoot); a nested table's rows belong to the cell holding it.</summary>
    private static IEnumerable<IElement> Rows(IElement table)
    {
        foreach (var child in table.Children)
        {
            if (child.LocalName == "tr") yield return child;
            else if (child.LocalName is "thead" or "tbody" or "tfoot")
                foreach (var row in child.Children.Where(r => r.LocalName == "tr")) yield return row;
        }
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
