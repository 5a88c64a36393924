// The summary journal: entries found by document id and content hash, a torn last line (a kill mid-write) ignored and
// overwritten, a damaged line elsewhere refused by file and line.
using RagTune.Knowledge.Summaries;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Summaries;

public sealed class DocumentSummaryJournalTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EntriesAreFoundByDocumentAndContentAndSurviveReopening()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, DocumentSummaryJournal.FileName);
        var journal = DocumentSummaryJournal.Open(path);
        await journal.AppendAsync("a.md", "h1", "about a", Ct);
        await journal.AppendAsync("b.md", "h2", "关于 b", Ct);
        await journal.AppendAsync("a.md", "h3", "about a, changed", Ct);
        var reopened = DocumentSummaryJournal.Open(path);
        Assert.Equal("about a, changed", reopened.Find("a.md", "h3"));
        Assert.Null(reopened.Find("a.md", "h1"));
        Assert.Equal("关于 b", reopened.Find("b.md", "h2"));
        Assert.Null(reopened.Find("c.md", "h2"));
    }

    [Fact]
    public async Task ATornLastLineIsIgnoredAndOverwrittenByTheNextEntry()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, DocumentSummaryJournal.FileName);
        await DocumentSummaryJournal.Open(path).AppendAsync("a.md", "h1", "about a", Ct);
        File.AppendAllText(path, "{\"document_id\":\"b.md\",\"content_ha");
        var journal = DocumentSummaryJournal.Open(path);
        Assert.Equal(1, journal.Count);
        await journal.AppendAsync("c.md", "h3", "about c", Ct);
        var lines = File.ReadAllLines(path);
        Assert.Equal(2, lines.Length);
        Assert.Equal("about c", DocumentSummaryJournal.Open(path).Find("c.md", "h3"));
    }

    [Fact]
    public void ADamagedLineBeforeTheEndIsAnErrorNamingFileAndLine()
    {
        using var dir = new TempFolder();
        string path = Path.Combine(dir.Path, DocumentSummaryJournal.FileName);
        File.WriteAllText(path, "{\"document_id\":\"a\",\"content_hash\":\"h\",\"summary\":\"s\"}\nnot json\n");
        var e = Assert.Throws<KnowledgeException>(() => DocumentSummaryJournal.Open(path));
        Assert.Contains($"{path} line 2", e.Message);
    }
}
