// PDF through poppler's pdftotext on a committed two-page fixture (TestData/make_pdf.py); no skipping when it is missing.
using Xunit;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class PdfLoaderTests
{
    [Fact]
    public async Task ExtractsTextAndPages()
    {
        var path = TestFiles.Fixture("two-pages.pdf");
        var source = new DocumentSource(path, "two-pages.pdf", await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
        var doc = (await new PdfLoader().LoadAsync(source, new DocumentLoadOptions(), TestContext.Current.CancellationToken))[0].Document!;

        Assert.Equal("RagTune PDF test.\nThe first page talks about retrieval.\n\nSecond page here.\nChunks keep their page numbers.", doc.Text);
        Assert.Equal("2", doc.Metadata["pages"]);
        Assert.Equal([0, doc.Text.IndexOf("Second", StringComparison.Ordinal)], doc.PageStarts);
        Assert.Equal(1, doc.PageAt(5));
        Assert.Equal(2, doc.PageAt(doc.Text.IndexOf("Chunks", StringComparison.Ordinal)));
        Assert.Equal("two-pages", doc.Title);
        Assert.Equal(DocumentSource.Sha256Hex(source.Bytes), doc.ContentHash);
    }

    [Fact]
    public async Task MissingPdftotextIsAClearError()
    {
        var path = TestFiles.Fixture("two-pages.pdf");
        var options = new DocumentLoadOptions { PdfToTextPath = "/nonexistent/bin/pdftotext" };
        var e = await Assert.ThrowsAsync<KnowledgeException>(() =>
            new PdfLoader().LoadAsync(new DocumentSource(path, "x.pdf", []), options, TestContext.Current.CancellationToken));
        Assert.StartsWith("cannot read 'x.pdf': poppler's pdftotext is not installed (apt-get install poppler-utils)", e.Message);
    }

    [Fact]
    public async Task CorruptPdfReportsPdftotextFailure()
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.pdf", "%PDF-1.4 this is not really a pdf");
        var e = await Assert.ThrowsAsync<KnowledgeException>(() =>
            new PdfLoader().LoadAsync(new DocumentSource(path, "bad.pdf", []), new DocumentLoadOptions(), TestContext.Current.CancellationToken));
        Assert.Contains("cannot read 'bad.pdf': pdftotext exited with code", e.Message);
    }

    [Fact]
    public async Task PdfWithoutTextLayerIsAnError()
    {
        var path = TestFiles.Fixture("blank.pdf");
        var e = await Assert.ThrowsAsync<KnowledgeException>(() =>
            new PdfLoader().LoadAsync(new DocumentSource(path, "scan.pdf", []), new DocumentLoadOptions(), TestContext.Current.CancellationToken));
        Assert.Equal("cannot read 'scan.pdf': pdftotext found no text on 1 page(s) (a scanned PDF needs OCR first); expected a PDF with a text layer", e.Message);
    }
}
