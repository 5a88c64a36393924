// Document-first (hierarchical) search: the document route of each kind, chunk search restricted to the top documents
// with the same scores as flat search, persistence and removal, the error on a base built without a route, and a
// summary build that resumes after a failure without asking the teacher again.
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Summaries;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class HierarchicalSearchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static KnowledgeBaseOptions Routed(DocumentRouteKind kind, bool embed = true) =>
        StoreTestKit.Options(embed) with { DocumentRoute = new DocumentRouteSettings { Kind = kind } };

    private static async Task<KnowledgeBase> BuildAsync(string kbDir, string corpus, KnowledgeBaseOptions options, IDocumentSummarizer? summarizer = null,
        IngestOptions? ingest = null)
    {
        var kb = await KnowledgeBase.CreateAsync(kbDir, options, Open(options, summarizer), Ct);
        await kb.AddFolderAsync(corpus, ingest, null, Ct);
        return kb;
    }

    private static KnowledgeBaseOpenOptions Open(KnowledgeBaseOptions options, IDocumentSummarizer? summarizer = null) => new()
    {
        EmbeddingGenerator = options.Embedding.Kind == EmbeddingKind.None ? null : new CountingEmbedder(),
        Summarizer = summarizer,
    };

    private static string Describe(IEnumerable<KnowledgeSearchResult> results) =>
        string.Join("\n", results.Select(r => $"{r.ChunkId} {r.Score:R} {r.Route}"));

    [Theory]
    [InlineData(DocumentRouteKind.FirstChunk)]
    [InlineData(DocumentRouteKind.Mean)]
    [InlineData(DocumentRouteKind.Summary)]
    public async Task EveryDocumentIsOnTheRouteAndTheChunkSearchStaysInsideTheTopDocuments(DocumentRouteKind kind)
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs");
        StoreTestKit.WriteCorpus(corpus);
        var summarizer = new DelegateDocumentSummarizer((d, _) => Task.FromResult($"{d.Title}: {d.Text[..Math.Min(80, d.Text.Length)]}"));
        await using var kb = await BuildAsync(Path.Combine(dir.Path, "kb"), corpus, Routed(kind), summarizer);

        var stats = await kb.GetStatsAsync(Ct);
        Assert.Equal(4, stats.Documents);
        Assert.Equal(4, stats.RoutedDocuments);
        Assert.Equal(4, stats.RoutedDocumentVectors);

        // Flat search spreads over documents; one document first keeps every hit inside the best one.
        var flat = await kb.SearchAsync("starter tea harvest", new KnowledgeSearchOptions { K = 6 }, Ct);
        Assert.True(flat.Select(r => r.DocumentId).Distinct().Count() > 1, Describe(flat));
        var one = await kb.SearchAsync("sourdough starter", new KnowledgeSearchOptions { K = 6, Hierarchical = true, Documents = 1 }, Ct);
        Assert.NotEmpty(one);
        Assert.All(one, r => Assert.Equal("bread.txt", r.DocumentId));
        var tea = await kb.SearchAsync("first tea harvest of spring", new KnowledgeSearchOptions { K = 6, Hierarchical = true, Documents = 1 }, Ct);
        Assert.NotEmpty(tea);
        Assert.All(tea, r => Assert.Equal("tea.md", r.DocumentId));
    }

    [Theory]
    [InlineData("bm25")]
    [InlineData("dense")]
    [InlineData("bm25,dense")]
    public async Task OverEveryDocumentHierarchicalSearchRanksAndScoresExactlyAsFlatSearch(string routes)
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs");
        StoreTestKit.WriteCorpus(corpus);
        await using var kb = await BuildAsync(Path.Combine(dir.Path, "kb"), corpus, Routed(DocumentRouteKind.FirstChunk));
        var names = routes.Split(',');
        foreach (var query in StoreTestKit.Queries)
        {
            var flat = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 8, Routes = names }, Ct);
            var scoped = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 8, Routes = names, Hierarchical = true, Documents = 4 }, Ct);
            Assert.NotEmpty(flat);
            Assert.Equal(Describe(flat), Describe(scoped));
        }
    }

    // Search within documents is handed every chunk of them; the chunks of levels that are not indexed must never come
    // back, whichever levels are indexed, in the store as built and as reopened from disk (which restores its state).
    [Theory]
    [InlineData(new[] { 1 })]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 0, 1 })]
    public async Task WithinDocumentsOnlyIndexedLevelsAreRankedAsInFlatSearchAlsoAfterReopening(int[] indexedLevels)
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs"), kbDir = Path.Combine(dir.Path, "kb");
        StoreTestKit.WriteCorpus(corpus);
        var options = Routed(DocumentRouteKind.FirstChunk) with { IndexedLevels = indexedLevels };
        string[] routes = ["bm25", "dense"];
        async Task<List<string>> SearchBothWaysAsync(KnowledgeBase kb)
        {
            var lines = new List<string>();
            foreach (var query in StoreTestKit.Queries)
                foreach (var route in routes)
                {
                    var flat = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 50, Routes = [route] }, Ct);
                    var scoped = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 50, Routes = [route], Hierarchical = true, Documents = 4 }, Ct);
                    Assert.NotEmpty(flat);
                    Assert.All(scoped, r => Assert.Contains(r.Level, indexedLevels));
                    Assert.Equal(Describe(flat), Describe(scoped));
                    lines.Add(Describe(scoped));
                }
            return lines;
        }
        List<string> built;
        await using (var kb = await BuildAsync(kbDir, corpus, options))
            built = await SearchBothWaysAsync(kb);
        await using (var reopened = await KnowledgeBase.OpenAsync(kbDir, Open(options), Ct))
            Assert.Equal(built, await SearchBothWaysAsync(reopened));
    }

    [Fact]
    public async Task TheRouteIsPersistedWithEachCommitAndFollowsRemovalsAndChanges()
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs"), kbDir = Path.Combine(dir.Path, "kb");
        StoreTestKit.WriteCorpus(corpus);
        var options = Routed(DocumentRouteKind.FirstChunk);
        var hierarchical = new KnowledgeSearchOptions { K = 5, Hierarchical = true, Documents = 2 };
        string before;
        await using (var kb = await BuildAsync(kbDir, corpus, options))
            before = Describe(await kb.SearchAsync("vector index recall", hierarchical, Ct));
        Assert.NotEmpty(before);

        await using (var reopened = await KnowledgeBase.OpenAsync(kbDir, Open(options), Ct))
        {
            Assert.Equal(before, Describe(await reopened.SearchAsync("vector index recall", hierarchical, Ct)));
            Assert.True(await reopened.RemoveAsync("vectors.md", Ct));
            Assert.Equal(3, (await reopened.GetStatsAsync(Ct)).RoutedDocuments);
            Assert.DoesNotContain(await reopened.Store.DocumentLexicalRoute!.SearchAsync("vector index recall", 10, null, Ct), h => h.Id == "vectors.md");
        }

        // A changed file replaces its document's entry on the route.
        File.WriteAllText(Path.Combine(corpus, "bread.txt"), "Rye bread needs no starter at all when it is leavened with yeast from the baker.");
        await using (var kb = await KnowledgeBase.OpenAsync(kbDir, Open(options), Ct))
        {
            await kb.AddFolderAsync(corpus, null, null, Ct);
            var hits = await kb.Store.DocumentLexicalRoute!.SearchAsync("rye baker", 10, null, Ct);
            Assert.Equal("bread.txt", Assert.Single(hits).Id);
            Assert.Empty(await kb.Store.DocumentLexicalRoute!.SearchAsync("sourdough crust", 10, null, Ct));
        }
    }

    [Fact]
    public async Task HierarchicalSearchOnABaseWithoutARouteNamesKbJsonAndTheField()
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs"), kbDir = Path.Combine(dir.Path, "kb");
        StoreTestKit.WriteCorpus(corpus);
        await using var kb = await BuildAsync(kbDir, corpus, StoreTestKit.Options());
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => kb.SearchAsync("tea", new KnowledgeSearchOptions { Hierarchical = true }, Ct));
        Assert.Contains(Path.Combine(kbDir, "kb.json"), e.Message);
        Assert.Contains("'document_route'", e.Message);
        Assert.Contains("--doc-route", e.Message);
        Assert.Null(kb.Store.DocumentLexicalRoute);
    }

    [Fact]
    public async Task AMeanRouteWithoutEmbeddingsIsRefusedByName()
    {
        using var dir = new TempFolder();
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => KnowledgeBase.CreateAsync(dir.Path, Routed(DocumentRouteKind.Mean, embed: false), null, Ct));
        Assert.Contains("document_route.kind is mean", e.Message);
        Assert.Contains("embedding.kind is none", e.Message);
    }

    [Fact]
    public async Task ASummaryRouteWithoutASummarizerFailsTheAddByName()
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs");
        StoreTestKit.WriteCorpus(corpus);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => BuildAsync(Path.Combine(dir.Path, "kb"), corpus, Routed(DocumentRouteKind.Summary)));
        Assert.Contains("document_route.kind is summary", e.Message);
        Assert.Contains("KnowledgeBaseOpenOptions.Summarizer", e.Message);
    }

    [Fact]
    public async Task TheSummaryRouteIndexesWhatTheTeacherWrote()
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs");
        StoreTestKit.WriteCorpus(corpus);
        // A word that only the summary of tea.md has: the document route finds the document by it.
        var summarizer = new DelegateDocumentSummarizer((d, _) => Task.FromResult(d.Id == "tea.md" ? "camellia sinensis leaves" : "about " + d.Title));
        await using var kb = await BuildAsync(Path.Combine(dir.Path, "kb"), corpus, Routed(DocumentRouteKind.Summary, embed: false), summarizer);
        var hits = await kb.Store.DocumentLexicalRoute!.SearchAsync("camellia", 5, null, Ct);
        Assert.Equal("tea.md", Assert.Single(hits).Id);
        Assert.Equal("camellia sinensis leaves", hits[0].Text);
        var chunks = await kb.SearchAsync("camellia green tea", new KnowledgeSearchOptions { Hierarchical = true, Documents = 1 }, Ct);
        Assert.All(chunks, r => Assert.Equal("tea.md", r.DocumentId));
        Assert.NotEmpty(chunks);
    }

    [Fact]
    public async Task AFailedSummaryBuildResumesWithoutAskingTheTeacherAgainForFinishedDocuments()
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs"), kbDir = Path.Combine(dir.Path, "kb");
        StoreTestKit.WriteCorpus(corpus);
        var options = Routed(DocumentRouteKind.Summary);
        var asked = new List<string>();
        // The teacher fails on the third document; nothing has been committed (one commit at the end of the run).
        var failing = new DelegateDocumentSummarizer((d, _) =>
        {
            if (asked.Count == 2) throw new HttpRequestException("teacher went away");
            asked.Add(d.Id);
            return Task.FromResult("summary of " + d.Id);
        });
        var ingest = new IngestOptions { CommitInterval = TimeSpan.FromHours(1) };
        await using (var kb = await KnowledgeBase.CreateAsync(kbDir, options, Open(options, failing), Ct))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => kb.AddFolderAsync(corpus, ingest, null, Ct));
            Assert.Equal(0, (await kb.GetStatsAsync(Ct)).Documents);
        }
        Assert.Equal(2, File.ReadAllLines(Path.Combine(kbDir, DocumentSummaryJournal.FileName)).Length);

        var again = new List<string>();
        var teacher = new DelegateDocumentSummarizer((d, _) => { again.Add(d.Id); return Task.FromResult("summary of " + d.Id); });
        await using (var kb = await KnowledgeBase.OpenAsync(kbDir, Open(options, teacher), Ct))
        {
            var summary = await kb.AddFolderAsync(corpus, ingest, null, Ct);
            Assert.Equal(4, summary.DocumentsIndexed);
            Assert.Equal(2, summary.SummariesReused);
            Assert.Equal(2, summary.SummariesWritten);
            Assert.Empty(again.Intersect(asked));
            Assert.Equal(4, (await kb.GetStatsAsync(Ct)).RoutedDocuments);
        }
    }

    [Fact]
    public async Task AChangedDocumentIsSummarisedAgain()
    {
        using var dir = new TempFolder();
        string corpus = Path.Combine(dir.Path, "docs"), kbDir = Path.Combine(dir.Path, "kb");
        StoreTestKit.WriteCorpus(corpus);
        var options = Routed(DocumentRouteKind.Summary, embed: false);
        var asked = new List<string>();
        var teacher = new DelegateDocumentSummarizer((d, _) => { asked.Add(d.Id); return Task.FromResult($"summary {asked.Count} of {d.Id}"); });
        await using var kb = await BuildAsync(kbDir, corpus, options, teacher);
        File.AppendAllText(Path.Combine(corpus, "bread.txt"), " Rye is different.");
        await kb.AddFolderAsync(corpus, null, null, Ct);
        Assert.Equal(["bread.txt"], asked.Skip(4));
        Assert.Equal("summary 5 of bread.txt", (await kb.Store.DocumentLexicalRoute!.SearchAsync("summary bread", 1, null, Ct))[0].Text);
    }
}
