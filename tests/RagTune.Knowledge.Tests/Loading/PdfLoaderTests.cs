// PDF through PdfPig, in-process: a hand-built two-page fixture (TestData/make_pdf.py) and a Chinese two-page PDF printed
// by Chromium (TestData/make_zh_pdf.sh). No external program is involved.
using Xunit;
using RagTune.Knowledge.Loading;

namespace RagTune.Knowledge.Tests.Loading;

public sealed class PdfLoaderTests
{
    private static async Task<Documents.Document> LoadFixtureAsync(string name)
    {
        var path = TestFiles.Fixture(name);
        var source = new DocumentSource(path, name, await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken));
        return (await new PdfLoader().LoadAsync(source, new DocumentLoadOptions(), TestContext.Current.CancellationToken))[0].Document!;
    }

    [Fact]
    public async Task ExtractsTextAndPages()
    {
        var doc = await LoadFixtureAsync("two-pages.pdf");

        Assert.Equal("RagTune PDF test.\nThe first page talks about retrieval.\n\nSecond page here.\nChunks keep their page numbers.", doc.Text);
        Assert.Equal("2", doc.Metadata["pages"]);
        Assert.Equal([0, doc.Text.IndexOf("Second", StringComparison.Ordinal)], doc.PageStarts);
        Assert.Equal(1, doc.PageAt(5));
        Assert.Equal(2, doc.PageAt(doc.Text.IndexOf("Chunks", StringComparison.Ordinal)));
        Assert.Equal("two-pages", doc.Title);
        Assert.Equal(DocumentSource.Sha256Hex(await File.ReadAllBytesAsync(TestFiles.Fixture("two-pages.pdf"), TestContext.Current.CancellationToken)), doc.ContentHash);
    }

    [Fact]
    public async Task ExtractsChineseTextWithEmbeddedFontsAndPages()
    {
        var doc = await LoadFixtureAsync("zh-two-pages.pdf");

        // The same text, line by line, as poppler's pdftotext 22.12 gives for this file (see docs/loaders.md for where
        // the two differ: blank lines between blocks, table cells).
        Assert.Equal(
            "知识库检索说明\nRagTune 把公司的文档变成领域专家。混合检索结合了 BM25 和向量检索，中文使用结\n巴分词。\n"
            + "第二段：每个文本块都保留页码，检索结果可以引用原文。English words mixed in:\nretrieval, reranking.\n\n"
            + "第二页\n微调使用 LoRA 适配器，训练数据来自 RAFT：问题、相关文档和干扰文档。\n模型 参数量\nQwen2.5 0.5B", doc.Text);
        Assert.Equal("2", doc.Metadata["pages"]);
        Assert.Equal(2, doc.PageAt(doc.Text.IndexOf("微调", StringComparison.Ordinal)));
        Assert.Equal(1, doc.PageAt(doc.Text.IndexOf("混合", StringComparison.Ordinal)));
        Assert.Equal([0, doc.Text.IndexOf("第二页", StringComparison.Ordinal)], doc.PageStarts);
    }

    [Fact]
    public async Task CorruptPdfIsAClearError()
    {
        using var folder = new TempFolder();
        var path = folder.Write("bad.pdf", "%PDF-1.4 this is not really a pdf");
        var e = await Assert.ThrowsAsync<KnowledgeException>(() =>
            new PdfLoader().LoadAsync(new DocumentSource(path, "bad.pdf", File.ReadAllBytes(path)), new DocumentLoadOptions(), TestContext.Current.CancellationToken));
        Assert.StartsWith("cannot read 'bad.pdf': not a readable PDF (", e.Message);
        Assert.EndsWith("); expected a PDF file with a text layer", e.Message);
    }

    [Fact]
    public async Task PdfWithoutTextLayerIsAnError()
    {
        var path = TestFiles.Fixture("blank.pdf");
        var e = await Assert.ThrowsAsync<KnowledgeException>(() =>
            new PdfLoader().LoadAsync(new DocumentSource(path, "scan.pdf", File.ReadAllBytes(path)), new DocumentLoadOptions(), TestContext.Current.CancellationToken));
        Assert.Equal("cannot read 'scan.pdf': found no text on 1 page(s) (a scanned PDF needs OCR first); expected a PDF with a text layer", e.Message);
    }
}
