// Loads .docx: the package is opened with DocumentFormat.OpenXml, word/document.xml and the styles are read with a
// streaming XmlReader (no DOM, no recursion, so nesting depth costs no stack) through a cap on the bytes they inflate to.
// Paragraphs in body order, Title/Heading 1–9 styles (ids, names, Chinese "标题 1", or an outline level) as sections,
// tables as tab-separated rows.
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using DocumentFormat.OpenXml.Packaging;

namespace RagTune.Knowledge.Loading;

public sealed partial class DocxLoader : IDocumentLoader
{
    private const string TransitionalNamespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    private const string StrictNamespace = "http://purl.oclc.org/ooxml/wordprocessingml/main";

    public IReadOnlyList<string> Extensions { get; } = [".docx"];

    public Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
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
            var main = package.MainDocumentPart
                ?? throw new KnowledgeException($"cannot read '{source.RelativePath}': the package has no main document part; expected word/document.xml");
            // One budget for every part read: a zip bomb split over several parts is stopped all the same.
            var budget = new InflationBudget(source.RelativePath, options.MaxDecompressedBytes);
            var styles = main.StyleDefinitionsPart is { } stylesPart ? ReadStyleLevels(stylesPart, budget, source.RelativePath, cancellationToken) : [];
            var builder = new StructuredTextBuilder(options.MaxDocumentChars, source.RelativePath);
            var titleStyleText = ReadBody(main, styles, builder, budget, source.RelativePath, cancellationToken);
            var (text, sections) = builder.Build();
            var title = package.PackageProperties.Title;
            if (string.IsNullOrWhiteSpace(title)) title = titleStyleText ?? sections.FirstOrDefault()?.Title;
            IReadOnlyList<DocumentLoadResult> results = [DocumentLoadResult.Ok(source.ToDocument(text, title, sections))];
            return Task.FromResult(results);
        }
    }

    /// <summary>Streams word/document.xml into <paramref name="builder"/>; returns the text of the first Title paragraph.</summary>
    private static string? ReadBody(MainDocumentPart main, Dictionary<string, int> styles, StructuredTextBuilder builder,
        InflationBudget budget, string name, CancellationToken cancellationToken)
    {
        string? titleStyleText = null;
        // Paragraph state. A paragraph inside a paragraph (a text box's content) adds to the outer one.
        var paragraphDepth = 0;
        var paragraph = new StringBuilder();
        string? styleId = null;
        int? outline = null;
        // Table state: rows of the outermost table only; a nested table's text joins the cell that holds it.
        var tableDepth = 0;
        var row = new List<string>();
        var cell = new StringBuilder();
        var inRun = 0;
        var inText = false;
        var elements = 0;

        using var reader = OpenPart(main, budget, name);
        try
        {
            while (reader.Read())
            {
                if ((++elements & 0xFFF) == 0) cancellationToken.ThrowIfCancellationRequested();
                if (reader.NodeType == XmlNodeType.Element && IsWord(reader))
                {
                    var empty = reader.IsEmptyElement;
                    switch (reader.LocalName)
                    {
                        case "p":
                            if (paragraphDepth++ == 0) { paragraph.Clear(); styleId = null; outline = null; }
                            if (empty && --paragraphDepth == 0) EndParagraph();
                            break;
                        case "pStyle" when paragraphDepth > 0:
                            styleId ??= WordAttribute(reader, "val");
                            break;
                        case "outlineLvl" when paragraphDepth > 0:
                            if (int.TryParse(WordAttribute(reader, "val"), out var level)) outline ??= level;
                            break;
                        case "r":
                            if (!empty) inRun++;
                            break;
                        case "t" when paragraphDepth > 0 && inRun > 0 && !empty:
                            inText = true;
                            break;
                        case "tab" when paragraphDepth > 0 && inRun > 0:
                            paragraph.Append('\t');
                            break;
                        case "br" or "cr" when paragraphDepth > 0 && inRun > 0:
                            paragraph.Append('\n');
                            break;
                        case "tbl":
                            if (!empty && tableDepth++ == 0) builder.ParagraphBreak();
                            break;
                        case "tr" when tableDepth == 1:
                            row.Clear();
                            if (empty) EndRow();
                            break;
                        case "tc" when tableDepth == 1:
                            cell.Clear();
                            if (empty) row.Add("");
                            break;
                    }
                }
                else if (inText && reader.NodeType is XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)
                {
                    paragraph.Append(reader.Value);
                    // One paragraph of a bomb can be the whole document: check before it is ever emitted.
                    builder.EnsureRoom(paragraph.Length + cell.Length);
                }
                else if (reader.NodeType == XmlNodeType.EndElement && IsWord(reader))
                {
                    switch (reader.LocalName)
                    {
                        case "p" when paragraphDepth > 0:
                            if (--paragraphDepth == 0) EndParagraph();
                            break;
                        case "r" when inRun > 0:
                            inRun--;
                            break;
                        case "t":
                            inText = false;
                            break;
                        case "tc" when tableDepth == 1:
                            row.Add(cell.ToString());
                            break;
                        case "tr" when tableDepth == 1:
                            EndRow();
                            break;
                        case "tbl" when tableDepth > 0:
                            if (--tableDepth == 0) builder.ParagraphBreak();
                            break;
                    }
                }
            }
        }
        catch (XmlException e)
        {
            throw new KnowledgeException($"cannot read '{name}': word/document.xml is not well-formed XML at line {e.LineNumber} ({e.Message}); expected a Word document body", e);
        }
        return titleStyleText;

        void EndParagraph()
        {
            var text = paragraph.ToString();
            if (tableDepth > 0)
            {
                var trimmed = text.Trim();
                if (trimmed.Length > 0) cell.Append(cell.Length > 0 ? " " : "").Append(trimmed);
                return;
            }
            var level = HeadingLevel(styleId, outline, styles);
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
        }

        void EndRow()
        {
            builder.LineBreak();
            builder.Preformatted(string.Join('\t', row));
        }
    }

    /// <summary>Heading levels of the styles the document defines, by style id: from the style's name or id, else its outline level.</summary>
    private static Dictionary<string, int> ReadStyleLevels(StyleDefinitionsPart part, InflationBudget budget, string name, CancellationToken cancellationToken)
    {
        var levels = new Dictionary<string, int>(StringComparer.Ordinal);
        string? id = null, styleName = null;
        int? outline = null;
        var paragraphStyle = false;
        var depth = 0;
        using var reader = OpenPart(part, budget, name);
        try
        {
            while (reader.Read())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!IsWord(reader)) continue;
                if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "style" && depth++ == 0)
                {
                    id = WordAttribute(reader, "styleId");
                    paragraphStyle = WordAttribute(reader, "type") == "paragraph";
                    styleName = null;
                    outline = null;
                    if (reader.IsEmptyElement) { depth--; Add(); }
                }
                else if (reader.NodeType == XmlNodeType.Element && depth > 0 && reader.LocalName == "name")
                    styleName ??= WordAttribute(reader, "val");
                else if (reader.NodeType == XmlNodeType.Element && depth > 0 && reader.LocalName == "outlineLvl" && int.TryParse(WordAttribute(reader, "val"), out var level))
                    outline ??= level;
                else if (reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "style" && depth > 0 && --depth == 0)
                    Add();
            }
        }
        catch (XmlException e)
        {
            throw new KnowledgeException($"cannot read '{name}': word/styles.xml is not well-formed XML at line {e.LineNumber} ({e.Message}); expected Word style definitions", e);
        }
        return levels;

        void Add()
        {
            if (id is null || !paragraphStyle) return;
            var level = LevelFromStyleName(styleName ?? "") ?? LevelFromStyleName(id);
            if (level is null && outline is { } o && o is >= 0 and < 9) level = o + 1;
            if (level is { } l) levels[id] = l;
        }
    }

    /// <summary>0 for a Title paragraph, 1–9 for headings, null for body text.</summary>
    private static int? HeadingLevel(string? styleId, int? outline, Dictionary<string, int> styles)
    {
        if (styleId is not null)
        {
            if (styles.TryGetValue(styleId, out var level)) return level;
            if (LevelFromStyleName(styleId) is { } fromId) return fromId;
        }
        if (outline is { } o && o is >= 0 and < 9) return o + 1;
        return null;
    }

    private static XmlReader OpenPart(OpenXmlPart part, InflationBudget budget, string name)
    {
        Stream stream;
        try
        {
            stream = part.GetStream(FileMode.Open, FileAccess.Read);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new KnowledgeException($"cannot read '{name}': the part {part.Uri} cannot be decompressed ({e.Message}); expected a valid zip entry", e);
        }
        // No DTDs: an entity-expansion bomb is refused by the XML reader itself.
        return XmlReader.Create(budget.Wrap(stream), new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = true,
        });
    }

    private static bool IsWord(XmlReader reader) => reader.NamespaceURI is TransitionalNamespace or StrictNamespace;

    private static string? WordAttribute(XmlReader reader, string localName) =>
        reader.GetAttribute(localName, TransitionalNamespace) ?? reader.GetAttribute(localName, StrictNamespace);

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
