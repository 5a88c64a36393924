// DOCX built here with OpenXml: heading styles (by id, by English and Chinese name) as sections, tables as TSV rows.
using Xunit;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;
using RagTune.Knowledge.Loading;
using WText = DocumentFormat.OpenXml.Wordprocessing.Text;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class DocxLoaderTests
{
    private static byte[] BuildDocx()
    {
        using var stream = new MemoryStream();
        using (var package = WordprocessingDocument.Create(stream, WordprocessingDocumentType.Document))
        {
            var main = package.AddMainDocumentPart();
            var stylesPart = main.AddNewPart<StyleDefinitionsPart>();
            stylesPart.Styles = new Styles(
                ParagraphStyle("Heading1", "heading 1"),
                ParagraphStyle("a3", "标题 2"),
                ParagraphStyle("BodyText", "Body Text"));
            main.Document = new Document(new Body(
                Paragraph("Title", "年度报告"),
                Paragraph("Heading1", "Overview"),
                Paragraph(null, "The first paragraph."),
                new Paragraph(new Run(new WText("Tabbed"), new TabChar(), new WText("text"), new Break(), new WText("after break.")))
                {
                    ParagraphProperties = new ParagraphProperties(new ParagraphStyleId { Val = "BodyText" }),
                },
                Paragraph("a3", "细节"),
                Paragraph(null, "中文正文。"),
                new Table(
                    Row("Key", "Value"),
                    Row("k1", "1.2")),
                Paragraph(null, "After the table.")));
        }
        return stream.ToArray();
    }

    private static Style ParagraphStyle(string id, string name) =>
        new(new StyleName { Val = name }) { Type = StyleValues.Paragraph, StyleId = id };

    private static Paragraph Paragraph(string? styleId, string text)
    {
        var paragraph = new Paragraph(new Run(new WText(text)));
        if (styleId is not null) paragraph.ParagraphProperties = new ParagraphProperties(new ParagraphStyleId { Val = styleId });
        return paragraph;
    }

    private static TableRow Row(params string[] cells) =>
        new(cells.Select(c => new TableCell(new Paragraph(new Run(new WText(c))))));

    [Fact]
    public async Task ParagraphsHeadingsAndTables()
    {
        var doc = (await TestFiles.LoadAsync(new DocxLoader(), "reports/2024.docx", BuildDocx()))[0].Document!;

        Assert.Equal("年度报告", doc.Title);
        Assert.Equal(
            "年度报告\n\nOverview\n\nThe first paragraph.\n\nTabbed\ttext\nafter break.\n\n细节\n\n中文正文。\n\nKey\tValue\nk1\t1.2\n\nAfter the table.",
            doc.Text);
        Assert.Equal([("年度报告", 0), ("Overview", 1), ("细节", 2)], doc.Sections.Select(s => (s.Title, s.Level)));
        Assert.Equal(["年度报告", "Overview", "细节"], doc.HeadingPathAt(doc.Text.IndexOf("中文", StringComparison.Ordinal)));
        Assert.Equal("mixed", doc.Language);
    }

    [Theory]
    [InlineData("Heading 3", 3)]
    [InlineData("heading1", 1)]
    [InlineData("标题 2", 2)]
    [InlineData("标题4", 4)]
    [InlineData("Title", 0)]
    [InlineData("标题", 0)]
    [InlineData("Body Text", null)]
    [InlineData("Heading 10", null)]
    public void StyleNamesMapToLevels(string name, int? level) => Assert.Equal(level, DocxLoader.LevelFromStyleName(name));

    [Fact]
    public async Task NotAZipIsAClearError()
    {
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => TestFiles.LoadAsync(new DocxLoader(), "broken.docx", "not a zip"u8.ToArray()));
        Assert.Contains("'broken.docx'", e.Message);
        Assert.Contains("not a valid .docx", e.Message);
    }
}
