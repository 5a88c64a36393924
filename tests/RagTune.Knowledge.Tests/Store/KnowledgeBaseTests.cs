// The knowledge base end to end on a small zh/en corpus: create/open, hybrid search with highlights, parent retrieval,
// filters, removal, bad files, export and stats.
using System.Text.Json;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class KnowledgeBaseTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateWritesOptionsAndOpenReadsThemBack()
    {
        using var dir = new TempFolder();
        string kbDir = Path.Combine(dir.Path, "kb");
        await using (var kb = await StoreTestKit.CreateAsync(kbDir, new CountingEmbedder()))
            Assert.Equal(0, (await kb.GetStatsAsync(Ct)).Documents);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(kbDir, "kb.json"), Ct));
        Assert.Equal("bigram", json.RootElement.GetProperty("lexical").GetProperty("analyzer").GetProperty("chinese_mode").GetString());
        Assert.Equal([60, 20], json.RootElement.GetProperty("chunking").GetProperty("levels").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal("local", json.RootElement.GetProperty("embedding").GetProperty("kind").GetString());

        await using var reopened = await StoreTestKit.OpenAsync(kbDir, new CountingEmbedder());
        Assert.Equal(JsonSerializer.Serialize(StoreTestKit.Options()), JsonSerializer.Serialize(reopened.Options));
        Assert.Equal(ChineseMode.Bigram, reopened.Options.Lexical.Analyzer.ChineseMode);
        Assert.Equal([60, 20], reopened.Options.Chunking.Levels);
    }

    [Fact]
    public async Task AnEmptyKnowledgeBaseAnswersEveryRouteWithNothing()
    {
        using var dir = new TempFolder();
        await using var kb = await StoreTestKit.CreateAsync(dir.Path, new CountingEmbedder());
        foreach (var routes in new[] { ["bm25"], ["dense"], new[] { "bm25", "dense" } })
            Assert.Empty(await kb.SearchAsync("tea", new KnowledgeSearchOptions { Routes = routes }, Ct));
        Assert.Equal(0, await kb.ExportAsync(Path.Combine(dir.Path, "empty.jsonl"), Ct));
    }

    [Fact]
    public async Task CreateRefusesAnExistingKnowledgeBaseAndOpenRefusesAPlainFolder()
    {
        using var dir = new TempFolder();
        await (await StoreTestKit.CreateAsync(dir.Path, null, embed: false)).DisposeAsync();
        var again = await Assert.ThrowsAsync<KnowledgeException>(() => StoreTestKit.CreateAsync(dir.Path, null, embed: false));
        Assert.Contains("already holds one", again.Message);
        using var plain = new TempFolder();
        var open = await Assert.ThrowsAsync<KnowledgeException>(() => KnowledgeBase.OpenAsync(plain.Path, cancellationToken: Ct));
        Assert.Contains("kb.json not found", open.Message);
    }

    [Fact]
    public async Task HybridSearchFindsTheRightDocumentsWithMatchedTermsInChineseAndEnglish()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var dir = new TempFolder();
        await using var kb = await StoreTestKit.CreateAsync(Path.Combine(dir.Path, "kb"), new CountingEmbedder());
        var summary = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Equal(["bread.txt", "tea.md", "vectors.md", "zh/kb.md"], summary.Added.Order(StringComparer.Ordinal));
        Assert.Empty(summary.Failed);

        var english = await kb.SearchAsync("sourdough starter", new KnowledgeSearchOptions { K = 3 }, Ct);
        Assert.Equal("bread.txt", english[0].DocumentId);
        Assert.Equal("bm25+dense", english[0].Route);
        Assert.Contains("starter", english[0].MatchedTerms);
        Assert.All(english[0].Highlights, span => Assert.Contains(english[0].Text[span.Start..span.End].ToLowerInvariant(), new[] { "sourdough", "starter" }));
        Assert.Equal(Path.Combine(corpus.Path, "bread.txt"), english[0].SourcePath);

        var chinese = await kb.SearchAsync("分词", new KnowledgeSearchOptions { K = 1, Routes = ["bm25"] }, Ct);
        Assert.Equal("zh/kb.md", chinese[0].DocumentId);
        Assert.Equal(["知识库", "中文分词"], chinese[0].HeadingPath);
        Assert.Equal(["分词"], chinese[0].MatchedTerms);
        var span = Assert.Single(chinese[0].Highlights.Take(1));
        Assert.Equal("分词", chinese[0].Text[span.Start..span.End]);
        Assert.Equal("知识库", chinese[0].Title);
    }

    [Fact]
    public async Task Bm25RouteScoresEqualTheIndexAndFiltersInsideTheRanking()
    {
        var index = new Bm25Index(new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } });
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["a"] = new Dictionary<string, string> { ["lang"] = "en" },
            ["b"] = new Dictionary<string, string> { ["lang"] = "de" },
            ["c"] = new Dictionary<string, string> { ["lang"] = "en" },
        };
        index.Add("a", "apple apple pie");
        index.Add("b", "apple strudel");
        index.Add("c", "apple");
        var route = new Bm25Route(index, id => metadata.GetValueOrDefault(id), id => "text of " + id);

        var all = await route.SearchAsync("apple pie", 3, null, Ct);
        Assert.Equal(index.Search("apple pie", 3).Select(h => (h.Id, h.Score)), all.Select(h => (h.Id, h.Score)));
        Assert.Equal("text of a", all[0].Text);
        // k = 1 with a filter still returns the best *matching* document, not the best overall filtered away.
        var german = await route.SearchAsync("apple pie", 1, MetadataFilter.Equal("lang", "de"), Ct);
        Assert.Equal("b", Assert.Single(german).Id);
        Assert.Equal("bm25", german[0].Route);
    }

    [Fact]
    public async Task ParentRetrievalReturnsDeduplicatedCoarseChunksThatContainTheMatches()
    {
        await using var built = await BuiltKnowledgeBase.CreateAsync();
        var kb = built.Kb;

        var fine = await kb.SearchAsync("graph neighbours recall", new KnowledgeSearchOptions { K = 10, Routes = ["bm25"] }, Ct);
        Assert.All(fine, h => Assert.Equal(1, h.Level));
        var parents = await kb.SearchAsync("graph neighbours recall", new KnowledgeSearchOptions { K = 10, Routes = ["bm25"], ReturnParent = true }, Ct);
        Assert.All(parents, h => Assert.Equal(0, h.Level));
        Assert.Equal(parents.Count, parents.Select(p => p.ChunkId).Distinct().Count());
        // Every fine hit is inside the parent reported for it, and the best parent is the best fine hit's parent.
        var fineById = fine.ToDictionary(h => h.ChunkId);
        foreach (var parent in parents)
            foreach (var matched in parent.MatchedChunkIds)
            {
                var child = fineById[matched];
                Assert.Equal(parent.DocumentId, child.DocumentId);
                Assert.True(parent.StartChar <= child.StartChar && child.EndChar <= parent.EndChar);
            }
        Assert.Contains(fine[0].ChunkId, parents[0].MatchedChunkIds);
        Assert.Equal(fine.Count, parents.Sum(p => p.MatchedChunkIds.Count));
        Assert.True(parents.Count < fine.Count);
    }

    [Fact]
    public async Task MetadataFiltersUseFrontMatterAndSourceFields()
    {
        await using var built = await BuiltKnowledgeBase.CreateAsync();
        var kb = built.Kb;

        var drinks = await kb.SearchAsync("the", new KnowledgeSearchOptions { K = 10, Filter = MetadataFilter.Equal("category", "drinks") }, Ct);
        Assert.NotEmpty(drinks);
        Assert.All(drinks, h => Assert.Equal("tea.md", h.DocumentId));
        var zh = await kb.SearchAsync("检索", new KnowledgeSearchOptions { K = 10, Filter = MetadataFilter.Prefix("source", "zh/") }, Ct);
        Assert.NotEmpty(zh);
        Assert.All(zh, h => Assert.StartsWith("zh/", h.RelativePath));
    }

    [Fact]
    public async Task WeightedFusionAndSingleRoutesRankConsistently()
    {
        await using var built = await BuiltKnowledgeBase.CreateAsync();
        var kb = built.Kb;

        var bm25 = await kb.SearchAsync("tea harvest", new KnowledgeSearchOptions { K = 5, Routes = ["bm25"] }, Ct);
        var dense = await kb.SearchAsync("tea harvest", new KnowledgeSearchOptions { K = 5, Routes = ["dense"] }, Ct);
        var weighted = await kb.SearchAsync("tea harvest", new KnowledgeSearchOptions { K = 5, Fusion = FusionMethod.Weighted }, Ct);
        Assert.All(bm25, h => Assert.Equal("bm25", h.Route));
        Assert.All(dense, h => Assert.Equal("dense", h.Route));
        Assert.Equal("tea.md", weighted[0].DocumentId);
        // Min-max weighted fusion of two routes scores at most 2, and exactly 2 only for the top hit of both.
        Assert.InRange(weighted[0].Score, 0, 2);
        if (bm25[0].ChunkId == dense[0].ChunkId) Assert.Equal(2.0, weighted[0].Score, 12);
    }

    [Fact]
    public async Task BadFilesAreListedAndTheBatchGoesOn()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        corpus.Write("broken.json", "{ not json");
        corpus.Write("binary.txt", [0x00, 0x01, 0x02, 0xFF, 0x00, 0x00, 0x10, 0x00]);
        using var dir = new TempFolder();
        await using var kb = await StoreTestKit.CreateAsync(Path.Combine(dir.Path, "kb"), new CountingEmbedder());
        var summary = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Equal(["binary.txt", "broken.json"], summary.Failed.Select(f => f.Path).Order(StringComparer.Ordinal));
        Assert.All(summary.Failed, f => Assert.Contains(f.Path, f.Reason));
        Assert.Equal(4, summary.Added.Count);
        Assert.Equal(4, (await kb.GetStatsAsync(Ct)).Documents);
        // Failed files are retried on the next run (they were never recorded), the good ones are left alone.
        var again = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Equal(4, again.Unchanged);
        Assert.Equal(2, again.Failed.Count);
    }

    [Fact]
    public async Task RemoveDropsTheDocumentFromEveryIndexAndStaysRemovedWhileTheFileIsUnchanged()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var dir = new TempFolder();
        string kbDir = Path.Combine(dir.Path, "kb");
        var embedder = new CountingEmbedder();
        await using (var kb = await StoreTestKit.CreateAsync(kbDir, embedder))
        {
            await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
            Assert.True(await kb.RemoveAsync("bread.txt", Ct));
            Assert.False(await kb.RemoveAsync("bread.txt", Ct));
        }
        await using var reopened = await StoreTestKit.OpenAsync(kbDir, embedder);
        foreach (var routes in new[] { "bm25", "dense" })
        {
            var hits = await reopened.SearchAsync("sourdough starter", new KnowledgeSearchOptions { K = 50, Routes = [routes] }, Ct);
            Assert.DoesNotContain(hits, h => h.DocumentId == "bread.txt");
        }
        var stats = await reopened.GetStatsAsync(Ct);
        Assert.Equal(3, stats.Documents);
        Assert.Equal(stats.ChunksPerLevel[1], stats.LexicalDocuments);
        Assert.Equal(stats.ChunksPerLevel[1], stats.Vectors);
        Assert.Equal(4, (await reopened.AddFolderAsync(corpus.Path, cancellationToken: Ct)).Unchanged);
        Assert.Equal(3, (await reopened.GetStatsAsync(Ct)).Documents);
    }

    [Fact]
    public async Task ExportWritesEveryChunkOfEveryLevelAsJsonLines()
    {
        await using var built = await BuiltKnowledgeBase.CreateAsync();
        var kb = built.Kb;
        string output = Path.Combine(built.Directory.Path, "chunks.jsonl");
        int count = await kb.ExportAsync(output, Ct);

        var stats = await kb.GetStatsAsync(Ct);
        var lines = await File.ReadAllLinesAsync(output, Ct);
        Assert.Equal(stats.ChunksPerLevel.Sum(), count);
        Assert.Equal(count, lines.Length);
        var rows = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var ids = rows.Select(r => r.GetProperty("id").GetString()!).ToHashSet();
        foreach (var row in rows)
        {
            int level = row.GetProperty("level").GetInt32();
            Assert.Equal(level == 1, row.GetProperty("indexed").GetBoolean());
            if (level == 1) Assert.Contains(row.GetProperty("parent_id").GetString()!, ids);
            else Assert.Equal(JsonValueKind.Null, row.GetProperty("parent_id").ValueKind);
            Assert.False(string.IsNullOrEmpty(row.GetProperty("text").GetString()));
            Assert.Equal(row.GetProperty("source").GetString(), row.GetProperty("metadata").GetProperty("source").GetString());
        }
        var zh = rows.First(r => r.GetProperty("document_id").GetString() == "zh/kb.md");
        Assert.Equal("知识库", zh.GetProperty("title").GetString());
        Assert.Contains("知识库", lines.First(l => l.Contains("\"zh/kb.md\"")));  // readable UTF-8, not \u escapes

        // A cancelled re-export leaves the previous file whole and no temporary file (AtomicFile).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => kb.ExportAsync(output, new CancellationToken(canceled: true)));
        Assert.Equal(lines, await File.ReadAllLinesAsync(output, Ct));
        Assert.Empty(Directory.GetFiles(built.Directory.Path, "chunks.jsonl*").Where(f => f != output));
    }

    [Fact]
    public async Task DenseRouteNeedsTheEmbeddingModelAndABm25OnlyBaseRefusesOne()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var dir = new TempFolder();
        string kbDir = Path.Combine(dir.Path, "kb");
        await using (var kb = await StoreTestKit.CreateAsync(kbDir, new CountingEmbedder()))
            await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        await using var withoutModel = await KnowledgeBase.OpenAsync(kbDir, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => withoutModel.SearchAsync("tea", new KnowledgeSearchOptions { Routes = ["dense"] }, Ct));
        Assert.Contains("fake-bow-32", e.Message);
        Assert.NotEmpty(await withoutModel.SearchAsync("tea", new KnowledgeSearchOptions { Routes = ["bm25"] }, Ct));

        using var dir2 = new TempFolder();
        await (await StoreTestKit.CreateAsync(dir2.Path, null, embed: false)).DisposeAsync();
        var refused = await Assert.ThrowsAsync<KnowledgeException>(() => StoreTestKit.OpenAsync(dir2.Path, new CountingEmbedder()));
        Assert.Contains("embedding kind is none", refused.Message);
    }
}
