// The PostgreSQL store on Debian's stock server (no pgvector, many backends): BM25-only knowledge bases, the error a
// dense one gets, several writers and searchers at once, and a server restarted under an open knowledge base.
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using RagTune.Knowledge.Tests.Store;
using Xunit;
using static RagTune.Knowledge.Postgres.Tests.PostgresStoreTestKit;

namespace RagTune.Knowledge.Postgres.Tests;

[Collection(DebianPostgresCollection.Name)]
public sealed class PostgresServerTests(DebianPostgresServer server)
{
    private static KnowledgeBaseOptions Bm25Only => StoreTestKit.Options(embed: false);

    /// <summary>A folder of <paramref name="count"/> notes whose names start with <paramref name="prefix"/> (distinct
    /// document ids per writer), words repeated at different rates so BM25 scores vary.</summary>
    private static TempFolder Notes(string prefix, int count)
    {
        var folder = new TempFolder();
        string[] words = ["tea", "graph", "vector", "oven", "知识", "检索", "recall", "spring", "yeast", "layer", prefix];
        for (int n = 0; n < count; n++)
            folder.Write($"{prefix}-{n:D3}.txt", string.Join(" ", Enumerable.Range(0, 20 + n % 17).Select(i => words[(i * (n + 3) + n) % words.Length])) + ".");
        return folder;
    }

    private static async Task<List<string>> RankingAsync(KnowledgeBase kb, string query) =>
        (await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 10, Routes = ["bm25"] }, Ct)).Select(h => h.ChunkId).ToList();

    [Fact]
    public async Task Bm25_only_knowledge_base_works_on_a_server_without_pgvector()
    {
        // Regression: creating any knowledge base ran CREATE EXTENSION vector and failed with 0A000 on a stock server.
        Assert.Equal(0L, await server.ScalarAsync("SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'"));
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var directory = new TempFolder();
        await using var embedded = await KnowledgeBase.CreateAsync(Path.Combine(directory.Path, "kb"), Bm25Only, cancellationToken: Ct);
        await using var postgres = await KnowledgeBase.CreateAsync(Path.Combine(directory.Path, "pg"), server.NewStore(), Bm25Only, cancellationToken: Ct);
        await embedded.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        var summary = await postgres.AddFolderAsync(corpus.Path, cancellationToken: Ct);

        Assert.Equal(4, summary.Added.Count);
        Assert.Equal(await DumpAsync(embedded.Store), await DumpAsync(postgres.Store));
        Assert.Null(postgres.Store.CreateDenseRoute(new FixedEmbedder([1, 0])));
        foreach (var query in StoreTestKit.Queries)
        {
            var expected = await embedded.Store.LexicalRoute.SearchAsync(query, 10, null, Ct);
            AssertSameHits(expected, await postgres.Store.LexicalRoute.SearchAsync(query, 10, null, Ct), 1e-4, $"bm25 '{query}'");
            Assert.NotEmpty(expected);
        }
        var stats = await postgres.GetStatsAsync(Ct);
        Assert.Equal((4, 0), (stats.Files, stats.Vectors));
    }

    [Fact]
    public async Task Dense_knowledge_base_on_a_server_without_pgvector_fails_with_one_line_naming_the_extension()
    {
        using var directory = new TempFolder();
        var location = server.NewStore();
        string link = Path.Combine(directory.Path, "pg");
        var error = await Assert.ThrowsAsync<KnowledgeException>(() => KnowledgeBase.CreateAsync(link, location, StoreTestKit.Options(embed: true), cancellationToken: Ct));

        Assert.DoesNotContain('\n', error.Message);
        Assert.Contains("pgvector extension ('vector')", error.Message);
        Assert.Contains("does not have", error.Message);
        Assert.Matches(@"apt install postgresql-\d+-pgvector", error.Message);
        Assert.Contains("BM25-only", error.Message);
        // Nothing written: no schema, no link.
        Assert.Equal(false, await server.ScalarAsync($"SELECT to_regclass('\"{location.Schema}\".kb_meta') IS NOT NULL"));
        Assert.False(File.Exists(Path.Combine(link, KnowledgeStoreLinks.FileName)));
    }

    [Fact]
    public async Task Several_writers_and_searchers_at_once_leave_the_state_of_one_writer_after_another()
    {
        // Three processes' worth of writers (a knowledge base each, own connection pool) ingest three folders and, twice
        // at once, the same folder, while four searchers query; the result must equal the embedded store fed serially.
        var folders = new[] { Notes("amber", 60), Notes("basalt", 60), Notes("cobalt", 60) };
        try
        {
            var location = server.NewStore();
            using var directory = new TempFolder();
            await (await KnowledgeBase.CreateAsync(location, Bm25Only, cancellationToken: Ct)).DisposeAsync();
            var writers = new List<KnowledgeBase>();
            for (int i = 0; i < 4; i++) writers.Add(await KnowledgeBase.OpenAsync(location, cancellationToken: Ct));
            await using var reader = await KnowledgeBase.OpenAsync(location, cancellationToken: Ct);
            var ingest = new IngestOptions { CommitInterval = TimeSpan.FromMilliseconds(50) };

            using var done = new CancellationTokenSource();
            int searches = 0;
            var searchers = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
            {
                string[] queries = ["tea graph", "知识 检索", "amber recall", "cobalt layer yeast"];
                while (!done.IsCancellationRequested)
                {
                    var hits = await reader.SearchAsync(queries[i], new KnowledgeSearchOptions { K = 5, Routes = ["bm25"] }, Ct);
                    Assert.All(hits, h => Assert.False(string.IsNullOrEmpty(h.Text)));
                    Interlocked.Increment(ref searches);
                }
            })).ToList();
            var writes = new[] { (0, folders[0]), (1, folders[1]), (2, folders[2]), (3, folders[2]) }
                .Select(w => Task.Run(() => writers[w.Item1].AddFolderAsync(w.Item2.Path, ingest, cancellationToken: Ct))).ToList();
            var summaries = await Task.WhenAll(writes);
            done.Cancel();
            await Task.WhenAll(searchers);
            foreach (var w in writers) await w.DisposeAsync();

            Assert.True(searches > 0, "the searchers ran");
            Assert.All(summaries, s => Assert.Empty(s.Failed));
            Assert.Empty(await server.InconsistenciesAsync(location.Schema));
            await using var embedded = await KnowledgeBase.CreateAsync(Path.Combine(directory.Path, "kb"), Bm25Only, cancellationToken: Ct);
            foreach (var folder in folders) await embedded.AddFolderAsync(folder.Path, cancellationToken: Ct);
            Assert.Equal(await DumpAsync(embedded.Store), await DumpAsync(reader.Store));
            foreach (var query in new[] { "tea graph", "amber recall", "cobalt layer yeast" })
                AssertSameHits(await embedded.Store.LexicalRoute.SearchAsync(query, 10, null, Ct),
                    await reader.Store.LexicalRoute.SearchAsync(query, 10, null, Ct), 1e-4, $"bm25 '{query}'");
        }
        finally
        {
            foreach (var folder in folders) folder.Dispose();
        }
    }

    [Theory]
    [InlineData("fast")]
    [InlineData("immediate")]
    public async Task An_open_knowledge_base_recovers_its_connections_after_the_server_restarts(string mode)
    {
        // Regression: pooled connections to the old server failed the next search and commit ("terminating connection
        // due to administrator command", or a broken socket after a crash).
        using var corpus = Notes("restart", 10);
        var location = server.NewStore();
        await using var kb = await KnowledgeBase.CreateAsync(location, Bm25Only, cancellationToken: Ct);
        await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        // Warm the pool with several idle connections, all of which the restart kills.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => RankingAsync(kb, "tea graph")));
        var before = await RankingAsync(kb, "tea graph");

        await server.StopAsync(mode);
        await server.StartAsync();

        Assert.Equal(before, await RankingAsync(kb, "tea graph"));
        Assert.True(await kb.RemoveAsync("restart-000.txt", Ct));
        Assert.Empty(await server.InconsistenciesAsync(location.Schema));
        Assert.Equal(9, (await kb.GetStatsAsync(Ct)).Documents);
    }
}
