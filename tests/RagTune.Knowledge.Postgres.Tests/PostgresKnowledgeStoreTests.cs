// The PostgreSQL store against a real server (PGlite + pgvector): round trip, atomic commits, reopen, stats, errors.
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using RagTune.Knowledge.Tests.Store;
using Xunit;
using static RagTune.Knowledge.Postgres.Tests.PostgresStoreTestKit;

namespace RagTune.Knowledge.Postgres.Tests;

[Collection(PgliteCollection.Name)]
public sealed class PostgresKnowledgeStoreTests(PgliteServer server)
{
    private static float[] Vec(int seed, int i) => [seed + i, 1, (seed * 7 + i) % 5, -i];

    private static StoreBatch FirstBatch() => new()
    {
        Upserts =
        [
            Document("alpha", ["vector index recall", "the graph walks greedily", "知识库 检索 文档"], i => Vec(1, i)),
            Document("beta", ["sourdough starter feeds daily", "tea harvest in spring"], i => Vec(2, i),
                new Dictionary<string, string> { ["source"] = "beta.txt", ["category"] = "food", ["title"] = "BETA" }),
        ],
        Files = [new StoredFile("/corpus", "alpha.txt", "h1", ["alpha"]), new StoredFile("/corpus", "beta.txt", "h2", ["beta"])],
    };

    [Fact]
    public async Task Commit_then_every_read_returns_what_was_written()
    {
        var batch = FirstBatch();
        await using var store = await PostgresKnowledgeStore.CreateAsync(server.NewStore(), StoreTestKit.Options(), Ct);
        await store.CommitAsync(batch, Ct);

        var files = await store.GetFilesAsync(Ct);
        Assert.Equal(["alpha.txt h1 alpha", "beta.txt h2 beta"], files.Select(f => $"{f.RelativePath} {f.ContentHash} {string.Join(',', f.DocumentIds)}"));
        Assert.Equal(batch.Upserts.Select(u => Describe(u.Document)), (await store.GetDocumentsAsync(Ct)).Select(Describe));
        Assert.Equal(Describe(batch.Upserts[1].Document), Describe((await store.GetDocumentAsync("beta", Ct))!));
        Assert.Null(await store.GetDocumentAsync("gamma", Ct));

        var expectedChunks = batch.Upserts.SelectMany(u => u.Chunks).OrderBy(c => c.DocumentId, StringComparer.Ordinal)
            .ThenBy(c => c.Level).ThenBy(c => c.Index).Select(Describe).ToList();
        var read = new List<string>();
        await foreach (var c in store.ReadChunksAsync(Ct)) read.Add(Describe(c));
        Assert.Equal(expectedChunks, read);
        // In the order asked, missing ids left out.
        var some = await store.GetChunksAsync(["beta::1:1", "nope", "alpha::0:0"], Ct);
        Assert.Equal(["beta::1:1", "alpha::0:0"], some.Select(c => c.Id));
        Assert.Equal(Describe(batch.Upserts[1].Chunks[2]), Describe(some[0]));

        var hits = await store.LexicalRoute.SearchAsync("sourdough", 5, null, Ct);
        var hit = Assert.Single(hits);
        Assert.Equal(("beta::1:0", "bm25", "sourdough starter feeds daily", "food"), (hit.Id, hit.Route, hit.Text, hit.Metadata!["category"]));
    }

    [Fact]
    public async Task A_batch_that_fails_midway_leaves_the_store_as_it_was()
    {
        await using var store = await PostgresKnowledgeStore.CreateAsync(server.NewStore(), StoreTestKit.Options(), Ct);
        await store.CommitAsync(FirstBatch(), Ct);
        var before = await DumpAsync(store);
        var statsBefore = await store.GetStatsAsync(Ct);
        var searchBefore = await store.LexicalRoute.SearchAsync("tea vector", 10, null, Ct);

        // Removes alpha, adds gamma, then delta reuses gamma's chunk ids: the primary key fails after earlier statements ran.
        var gamma = Document("gamma", ["tea vector one", "tea vector two"], i => Vec(3, i));
        var delta = gamma with { Document = gamma.Document with { Id = "delta" }, Chunks = [.. gamma.Chunks.Select(c => c with { DocumentId = "delta" })] };
        var bad = new StoreBatch
        {
            RemovedDocuments = ["alpha"],
            Upserts = [gamma, delta],
            Files = [new StoredFile("/corpus", "gamma.txt", "h3", ["gamma", "delta"])],
            RemovedFiles = [("/corpus", "alpha.txt")],
        };
        var error = await Assert.ThrowsAsync<KnowledgeException>(() => store.CommitAsync(bad, Ct));
        Assert.Contains("commit failed", error.Message);

        // A vector of the wrong size fails too, after the chunks went in.
        var wrongSize = new StoreBatch { Upserts = [Document("eps", ["tea"], _ => [1f, 2f])] };
        error = await Assert.ThrowsAsync<KnowledgeException>(() => store.CommitAsync(wrongSize, Ct));
        Assert.Contains("2 dimensions; expected the index's 4", error.Message);

        Assert.Equal(before, await DumpAsync(store));
        var statsAfter = await store.GetStatsAsync(Ct);
        Assert.Equal((statsBefore.Generation, statsBefore.LexicalDocuments, statsBefore.LexicalTerms, statsBefore.Vectors),
            (statsAfter.Generation, statsAfter.LexicalDocuments, statsAfter.LexicalTerms, statsAfter.Vectors));
        AssertSameHits(searchBefore, await store.LexicalRoute.SearchAsync("tea vector", 10, null, Ct), 0, "bm25 after the failed batch");
    }

    [Fact]
    public async Task Reopen_sees_the_committed_state_and_options()
    {
        var location = server.NewStore();
        List<string> dump;
        await using (var store = await PostgresKnowledgeStore.CreateAsync(location, StoreTestKit.Options(), Ct))
        {
            await store.CommitAsync(FirstBatch(), Ct);
            await store.CommitAsync(new StoreBatch { RemovedDocuments = ["beta"], RemovedFiles = [("/corpus", "beta.txt")] }, Ct);
            dump = await DumpAsync(store);
        }
        await using var reopened = await PostgresKnowledgeStore.OpenAsync(location, Ct);
        Assert.Equal(dump, await DumpAsync(reopened));
        Assert.Equal(new[] { 60, 20 }, reopened.Options.Chunking.Levels);
        Assert.Equal(RagTune.Knowledge.Analysis.ChineseMode.Bigram, reopened.Options.Lexical.Analyzer.ChineseMode);
        var stats = await reopened.GetStatsAsync(Ct);
        Assert.Equal((1, 1, 2L, 3, 4), (stats.Files, stats.Documents, stats.Generation, stats.Vectors, stats.VectorDimensions));
        Assert.NotNull(reopened.CreateDenseRoute(new FixedEmbedder([1, 1, 0, 0])));
    }

    [Fact]
    public async Task Stats_count_files_documents_levels_terms_and_vectors()
    {
        await using var store = await PostgresKnowledgeStore.CreateAsync(server.NewStore(), StoreTestKit.Options(), Ct);
        var empty = await store.GetStatsAsync(Ct);
        Assert.Equal((0, 0, 0, 0, 0L), (empty.Files, empty.Documents, empty.LexicalDocuments, empty.Vectors, empty.Generation));
        Assert.Equal([0, 0], empty.ChunksPerLevel);
        Assert.Null(store.CreateDenseRoute(new FixedEmbedder([1, 0, 0, 0])));

        var batch = FirstBatch();
        await store.CommitAsync(batch, Ct);
        var stats = await store.GetStatsAsync(Ct);
        var fine = batch.Upserts.SelectMany(u => u.Chunks).Where(c => c.Level == 1).ToList();
        int terms = fine.SelectMany(c => store.Analyzer.Analyze(c.Text)).Select(t => t.Term).Distinct().Count();
        Assert.Equal((2, 2, 5, terms, 5, 4, 1L), (stats.Files, stats.Documents, stats.LexicalDocuments, stats.LexicalTerms, stats.Vectors, stats.VectorDimensions, stats.Generation));
        Assert.Equal([2, 5], stats.ChunksPerLevel);
        Assert.True(stats.DiskBytes > 0);
    }

    [Fact]
    public async Task Creating_twice_or_opening_a_missing_schema_fails_clearly()
    {
        var location = server.NewStore();
        await using (await PostgresKnowledgeStore.CreateAsync(location, StoreTestKit.Options(), Ct)) { }
        var twice = await Assert.ThrowsAsync<KnowledgeException>(() => PostgresKnowledgeStore.CreateAsync(location, StoreTestKit.Options(), Ct));
        Assert.Contains("already holds one", twice.Message);
        var missing = await Assert.ThrowsAsync<KnowledgeException>(() => PostgresKnowledgeStore.OpenAsync(server.NewStore(), Ct));
        Assert.Contains("is not a knowledge base", missing.Message);
        var badSchema = await Assert.ThrowsAsync<KnowledgeException>(() =>
            PostgresKnowledgeStore.OpenAsync(new PostgresStoreOptions { ConnectionString = server.ConnectionString, Schema = "Bad-Name" }, Ct));
        Assert.Contains("schema name 'Bad-Name'", badSchema.Message);
    }

    [Fact]
    public async Task Reading_every_chunk_pages_in_document_level_index_order()
    {
        // 2,250 chunks: more than one page of ReadChunksAsync; ids chosen so that ordinal and culture orders differ.
        var upserts = Enumerable.Range(0, 450).Select(d => Document((d % 2 == 0 ? "a" : "B") + d.ToString("D3"),
            Enumerable.Range(0, 4).Select(i => $"word{i} doc{d}").ToArray())).ToList();
        await using var store = await PostgresKnowledgeStore.CreateAsync(server.NewStore(), StoreTestKit.Options(embed: false), Ct);
        await store.CommitAsync(new StoreBatch { Upserts = upserts }, Ct);
        var expected = upserts.SelectMany(u => u.Chunks).OrderBy(c => c.DocumentId, StringComparer.Ordinal)
            .ThenBy(c => c.Level).ThenBy(c => c.Index).Select(c => c.Id).ToList();
        var read = new List<string>();
        await foreach (var c in store.ReadChunksAsync(Ct)) read.Add(c.Id);
        Assert.Equal(expected, read);
    }

    [Fact]
    public async Task A_directory_link_is_refused_in_a_non_empty_folder_before_the_schema_is_made()
    {
        using var folder = new TempFolder();
        folder.Write("something.txt", "x");
        var location = server.NewStore();
        var error = await Assert.ThrowsAsync<KnowledgeException>(() => KnowledgeBase.CreateAsync(folder.Path, location, StoreTestKit.Options(), cancellationToken: Ct));
        Assert.Contains("not empty", error.Message);
        await Assert.ThrowsAsync<KnowledgeException>(() => PostgresKnowledgeStore.OpenAsync(location, Ct));
    }
}
