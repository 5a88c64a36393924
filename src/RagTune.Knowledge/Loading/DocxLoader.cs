// Loads .docx with DocumentFormat.OpenXml: paragraphs in body order, Title/Heading 1–9 styles (ids, names, Chinese
// "标题 1", or an outline level) as sections, tables as tab-separated rows.
using System.Text;
using System.Text.RegularExpressions;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace RagTune.Knowledge.Loading;

public sealed partial class DocxLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".docx"];

    public Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        cancellationToken.ThrowIfCancellationRequested();
        WordprocessingDocument package;
        try
        {
            package = WordprocessingDocument.Open(new MemoryStream(source.Bytes, writable: false), false);
        }
        catch (Exception e) when (e is OpenXmlPackageException or InvalidDataException or IOException or FileFormatException)
        {
            throw new KnowledgeException($"cannot read '{source.RelativePath}': not a valid .docx package ({e.Message}); expected a Word OOXML (zip) document", e);
        }
        using (package)
        {
            var body = package.MainDocumentPart?.Document?.Body
                ?? throw new KnowledgeException($"cannot read '{source.RelativePath}': the package has no main document body; expected word/document.xml");
            var styles = StyleLevels(package.MainDocumentPart!.StyleDefinitionsPart?.Styles);
            var builder = new StructuredTextBuilder();
            string? titleStyleText = null;
            RenderContainer(body, builder, styles, ref titleStyleText);
            var (text, sections) = builder.Build();
            var title = package.PackageProperties.Title;
            if (string.IsNullOrWhiteSpace(title)) title = titleStyleText ?? sections.FirstOrDefault()?.Title;
            IReadOnlyList<DocumentLoadResult> results = [DocumentLoadResult.Ok(source.ToDocument(text, title, sections))];
            return Task.FromResult(results);
        }
    }

    private static void RenderContainer(OpenXmlElement container, StructuredTextBuilder builder, Dictionary<string, int> styles, ref string? titleStyleText)
    {
        foreach (var element in container.Elements())
        {
            switch (element)
            {
                case Paragraph paragraph:
                    var text = ParagraphText(paragraph);
                    var level = HeadingLevel(paragraph, styles);
                    if (level is { } l && text.Trim().Length > 0)
                    {
                        if (l == 0) titleStyleText ??= text.Trim();
                        builder.BeginHeading(l);
                        builder.Text(text);
                        builder.EndHeading();
                    }
                    else
                    {
                        builder.ParagraphBreak();
                        builder.Preformatted(text.Trim());
                        builder.ParagraphBreak();
                    }
                    break;
                case Table table:
                    builder.ParagraphBreak();
                    foreach (var row in table.Elements<TableRow>())
                    {
                        var cells = row.Elements<TableCell>()
                            .Select(c => string.Join(' ', c.Elements<Paragraph>().Select(p => ParagraphText(p).Trim()).Where(t => t.Length > 0)));
                        builder.LineBreak();
                        builder.Preformatted(string.Join('\t', cells));
                    }
                    builder.ParagraphBreak();
                    break;
                case SdtBlock sdt when sdt.SdtContentBlock is { } content:
                    RenderContainer(content, builder, styles, ref titleStyleText);
                    break;
            }
        }
    }

    private static string ParagraphText(Paragraph paragraph)
    {
        var text = new StringBuilder();
        foreach (var run in paragraph.Descendants<Run>())
            foreach (var piece in run.Elements())
            {
                switch (piece)
                {
                    case DocumentFormat.OpenXml.Wordprocessing.Text t: text.Append(t.Text); break;
                    case TabChar: text.Append('\t'); break;
                    case Break or CarriageReturn: text.Append('\n'); break;
                }
            }
        return text.ToString();
    }

    /// <summary>0 for a Title paragraph, 1–9 for headings, null for body text.</summary>
    private static int? HeadingLevel(Paragraph paragraph, Dictionary<string, int> styles)
    {
        var properties = paragraph.ParagraphProperties;
        if (properties?.ParagraphStyleId?.Val?.Value is { } styleId)
        {
            if (styles.TryGetValue(styleId, out var level)) return level;
            if (LevelFromStyleName(styleId) is { } fromId) return fromId;
        }
        if (properties?.OutlineLevel?.Val?.Value is { } outline && outline < 9) return outline + 1;
        return null;
    }

    /// <summary>Heading levels of the styles the document defines, by style id: from the style's name or id, else its outline level.</summary>
    private static Dictionary<string, int> StyleLevels(Styles? styles)
    {
        var levels = new Dictionary<string, int>(StringComparer.Ordinal);
        if (styles is null) return levels;
        foreach (var style in styles.Elements<Style>())
        {
            if (style.StyleId?.Value is not { } id || style.Type?.Value != StyleValues.Paragraph) continue;
            var level = LevelFromStyleName(style.StyleName?.Val?.Value ?? "") ?? LevelFromStyleName(id);
            if (level is null && style.StyleParagraphProperties?.OutlineLevel?.Val?.Value is { } outline && outline < 9) level = outline + 1;
            if (level is { } l) levels[id] = l;
        }
        return levels;
    }

    /// <summary>"Heading 2", "heading2", "Heading2", "标题 2", "标题2" → 2; "Title", "标题" → 0.</summary>
    internal static int? LevelFromStyleName(string name)
    {
        var match = HeadingName().Match(name.Trim());
        if (!match.Success) return null;
        return match.Groups[1].Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [GeneratedRegex(@"^(?:(?:heading|标题)\s*([1-9])|title|标题)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex HeadingName();
}
