// The PostgreSQL store against the embedded one on the same text: the same BM25 ranking and scores, dense search equal
// to exact cosine, filters that still return k hits, and incremental re-adds through KnowledgeBase.
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using RagTune.Knowledge.Tests.Store;
using Xunit;
using static RagTune.Knowledge.Postgres.Tests.PostgresStoreTestKit;

namespace RagTune.Knowledge.Postgres.Tests;

[Collection(PgliteCollection.Name)]
public sealed class PostgresParityTests(PgliteServer server)
{
    private static readonly string[] Queries =
        [.. StoreTestKit.Queries, "the graph", "知识库", "tea tea green", "recall depends on efSearch", "wild yeast oven crust", "nothing-matches-this"];

    // The test corpus plus generated notes that repeat words at different rates, so idf, tf and length all vary.
    private static void WriteCorpus(string root)
    {
        StoreTestKit.WriteCorpus(root);
        Directory.CreateDirectory(Path.Combine(root, "notes"));
        string[] words = ["tea", "graph", "vector", "oven", "知识", "检索", "recall", "spring", "yeast", "layer"];
        for (int n = 0; n < 12; n++)
        {
            var text = string.Join(" ", Enumerable.Range(0, 8 + 3 * n).Select(i => words[(i * (n + 1) + n) % words.Length]));
            File.WriteAllText(Path.Combine(root, "notes", $"note{n:D2}.txt"), text + ".");
        }
    }

    private sealed class Pair : IAsyncDisposable
    {
        public required TempFolder Corpus, Directory;
        public required KnowledgeBase Embedded, Postgres;
        public required CountingEmbedder EmbeddedEmbedder, PostgresEmbedder;

        public async ValueTask DisposeAsync()
        {
            await Embedded.DisposeAsync();
            await Postgres.DisposeAsync();
            Corpus.Dispose();
            Directory.Dispose();
        }
    }

    private async Task<Pair> BuildAsync(KnowledgeBaseOptions? options = null, RagTune.Knowledge.Summaries.IDocumentSummarizer? summarizer = null)
    {
        var corpus = new TempFolder();
        WriteCorpus(corpus.Path);
        var directory = new TempFolder();
        options ??= StoreTestKit.Options();
        var (e1, e2) = (new CountingEmbedder(), new CountingEmbedder());
        var embedded = await KnowledgeBase.CreateAsync(Path.Combine(directory.Path, "kb"), options, new KnowledgeBaseOpenOptions { EmbeddingGenerator = e1, Summarizer = summarizer }, Ct);
        var postgres = await KnowledgeBase.CreateAsync(Path.Combine(directory.Path, "pg"), server.NewStore(), options, new KnowledgeBaseOpenOptions { EmbeddingGenerator = e2, Summarizer = summarizer }, Ct);
        await embedded.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        await postgres.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        return new Pair { Corpus = corpus, Directory = directory, Embedded = embedded, Postgres = postgres, EmbeddedEmbedder = e1, PostgresEmbedder = e2 };
    }

    private static async Task AssertSameAsync(Pair pair, MetadataFilter? filter = null, int k = 20)
    {
        Assert.Equal(await DumpAsync(pair.Embedded.Store), await DumpAsync(pair.Postgres.Store));
        var dense = (pair.Embedded.Store.CreateDenseRoute(pair.EmbeddedEmbedder)!, pair.Postgres.Store.CreateDenseRoute(pair.PostgresEmbedder)!);
        foreach (var query in Queries)
        {
            var expected = await pair.Embedded.Store.LexicalRoute.SearchAsync(query, k, filter, Ct);
            var actual = await pair.Postgres.Store.LexicalRoute.SearchAsync(query, k, filter, Ct);
            AssertSameHits(expected, actual, 1e-4, $"bm25 '{query}' filter {filter}");
            Assert.Equal(expected.Select(h => h.Text), actual.Select(h => h.Text));
            // pgvector accumulates in single precision: same order, scores to ~1e-6.
            AssertSameHits(await dense.Item1.SearchAsync(query, k, filter, Ct), await dense.Item2.SearchAsync(query, k, filter, Ct), 1e-4, $"dense '{query}' filter {filter}");
        }
    }

    [Fact]
    public async Task Bm25_and_dense_rank_like_the_embedded_store()
    {
        await using var pair = await BuildAsync();
        var stats = (await pair.Embedded.GetStatsAsync(Ct), await pair.Postgres.GetStatsAsync(Ct));
        Assert.Equal((stats.Item1.LexicalDocuments, stats.Item1.LexicalTerms, stats.Item1.Vectors, stats.Item1.Documents, stats.Item1.Files, stats.Item1.FilesWithoutDocuments),
            (stats.Item2.LexicalDocuments, stats.Item2.LexicalTerms, stats.Item2.Vectors, stats.Item2.Documents, stats.Item2.Files, stats.Item2.FilesWithoutDocuments));
        Assert.True(stats.Item1.LexicalDocuments > 20);
        await AssertSameAsync(pair);
        // Hybrid search through KnowledgeBase (fusion, parents, snippets) sees the same results.
        foreach (var query in StoreTestKit.Queries)
        {
            var e = await pair.Embedded.SearchAsync(query, new KnowledgeSearchOptions { K = 5, ReturnParent = true }, Ct);
            var p = await pair.Postgres.SearchAsync(query, new KnowledgeSearchOptions { K = 5, ReturnParent = true }, Ct);
            Assert.Equal(e.Select(r => (r.ChunkId, string.Join('|', r.MatchedTerms))), p.Select(r => (r.ChunkId, string.Join('|', r.MatchedTerms))));
        }
    }

    [Fact]
    public async Task Files_without_documents_are_counted_apart_on_both_stores()
    {
        using var corpus = new TempFolder();
        WriteCorpus(corpus.Path);
        File.WriteAllText(Path.Combine(corpus.Path, "empty.json"), "[]");
        using var directory = new TempFolder();
        var options = StoreTestKit.Options(embed: false);
        await using var embedded = await KnowledgeBase.CreateAsync(Path.Combine(directory.Path, "kb"), options, cancellationToken: Ct);
        await using var postgres = await KnowledgeBase.CreateAsync(Path.Combine(directory.Path, "pg"), server.NewStore(), options, cancellationToken: Ct);
        await embedded.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        await postgres.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        var (e, p) = (await embedded.GetStatsAsync(Ct), await postgres.GetStatsAsync(Ct));
        Assert.Equal(1, e.FilesWithoutDocuments);
        Assert.Equal(Directory.GetFiles(corpus.Path, "*", SearchOption.AllDirectories).Length - 1, e.Files);
        Assert.Equal((e.Files, e.FilesWithoutDocuments), (p.Files, p.FilesWithoutDocuments));
    }

    [Fact]
    public async Task Filters_apply_inside_the_ranking_on_both_routes()
    {
        await using var pair = await BuildAsync();
        await AssertSameAsync(pair, MetadataFilter.Prefix("source", "notes/"), k: 3);
        await AssertSameAsync(pair, MetadataFilter.Equal("category", "drinks"), k: 3);
        await AssertSameAsync(pair, MetadataFilter.In("source", ["vectors.md", "bread.txt"]).Or(MetadataFilter.Prefix("source", "zh/")), k: 4);
        // A selective filter still yields k hits when enough chunks pass it (the first round of rows would not hold them).
        var notes = await pair.Postgres.Store.LexicalRoute.SearchAsync("tea graph", 3, MetadataFilter.Equal("source", "notes/note11.txt"), Ct);
        Assert.Equal(3, notes.Count);
        Assert.All(notes, h => Assert.Equal("notes/note11.txt", h.Metadata!["source"]));
    }

    [Fact]
    public async Task A_filter_that_excludes_the_top_hits_still_returns_k_hits_like_the_embedded_store()
    {
        await using var pair = await BuildAsync();
        var dense = (pair.Embedded.Store.CreateDenseRoute(pair.EmbeddedEmbedder)!, pair.Postgres.Store.CreateDenseRoute(pair.PostgresEmbedder)!);
        const int k = 5;
        foreach (var query in new[] { "tea graph", "wild yeast oven crust", "知识库" })
        {
            foreach (var (embedded, postgres) in new[] { (pair.Embedded.Store.LexicalRoute, pair.Postgres.Store.LexicalRoute), dense })
            {
                var all = await embedded.SearchAsync(query, 10_000, null, Ct);
                var sources = all.Select(h => h.Metadata!["source"]).Distinct().ToList();
                // Keep every source but those of the three best hits: the unfiltered top 3 are all excluded.
                var excluded = all.Take(3).Select(h => h.Metadata!["source"]).ToHashSet();
                var filter = MetadataFilter.In("source", sources.Where(x => !excluded.Contains(x)));
                int expectedCount = Math.Min(k, all.Count(h => !excluded.Contains(h.Metadata!["source"])));
                Assert.Equal(k, expectedCount);

                var expected = await embedded.SearchAsync(query, k, filter, Ct);
                var actual = await postgres.SearchAsync(query, k, filter, Ct);
                Assert.Equal(k, actual.Count);
                Assert.All(actual, h => Assert.DoesNotContain(h.Metadata!["source"], excluded));
                Assert.Empty(actual.Select(h => h.Id).Intersect(all.Take(3).Select(h => h.Id)));
                AssertSameHits(expected, actual, 1e-4, $"{embedded.Name} '{query}' without {string.Join(',', excluded)}");
            }
        }
    }

    [Fact]
    public async Task Re_adding_a_changed_folder_updates_only_what_changed()
    {
        await using var pair = await BuildAsync();
        int embeddedBefore = pair.PostgresEmbedder.Inputs.Count;
        File.AppendAllText(Path.Combine(pair.Corpus.Path, "bread.txt"), " Rye flour makes a darker loaf.");
        File.Delete(Path.Combine(pair.Corpus.Path, "tea.md"));
        File.WriteAllText(Path.Combine(pair.Corpus.Path, "notes/new.txt"), "A new note about tea and graph layers.");

        var e = await pair.Embedded.AddFolderAsync(pair.Corpus.Path, cancellationToken: Ct);
        var p = await pair.Postgres.AddFolderAsync(pair.Corpus.Path, cancellationToken: Ct);
        static string Show(IngestSummary s) => $"added {string.Join(',', s.Added)} updated {string.Join(',', s.Updated)} removed {string.Join(',', s.Removed)} unchanged {s.Unchanged}";
        Assert.Equal("added notes/new.txt updated bread.txt removed tea.md unchanged 14", Show(p));
        Assert.Equal(Show(e), Show(p));
        Assert.Equal(pair.EmbeddedEmbedder.Inputs.Count - embeddedBefore, pair.PostgresEmbedder.Inputs.Count - embeddedBefore);
        Assert.True(pair.PostgresEmbedder.Inputs.Count - embeddedBefore <= 6, "only the changed files' chunks are embedded again");
        await AssertSameAsync(pair);
        Assert.Empty(await pair.Postgres.SearchAsync("harvest", new KnowledgeSearchOptions { Routes = ["bm25"] }, Ct));

        // Removing one document and reopening the directory link gives the same state again.
        Assert.True(await pair.Postgres.RemoveAsync("bread.txt", Ct));
        Assert.True(await pair.Embedded.RemoveAsync("bread.txt", Ct));
        var location = ((PostgresKnowledgeStore)pair.Postgres.Store).Location;
        PostgresStoreLink.Register();
        await using var reopened = await KnowledgeBase.OpenAsync(Path.Combine(pair.Directory.Path, "pg"), new KnowledgeBaseOpenOptions { EmbeddingGenerator = new CountingEmbedder() }, Ct);
        Assert.Equal(location, ((PostgresKnowledgeStore)reopened.Store).Location);
        Assert.Equal(await DumpAsync(pair.Embedded.Store), await DumpAsync(reopened.Store));
    }

    [Theory]
    [InlineData(VectorIndexKind.Hnsw, VectorMetric.Cosine)]
    [InlineData(VectorIndexKind.Exact, VectorMetric.Cosine)]
    [InlineData(VectorIndexKind.Exact, VectorMetric.Dot)]
    [InlineData(VectorIndexKind.Hnsw, VectorMetric.L2)]
    public async Task Dense_search_matches_exact_scores(VectorIndexKind kind, VectorMetric metric)
    {
        const int dims = 16, docs = 40, perDoc = 5;
        var random = new Random(7);
        float[] Next() => Enumerable.Range(0, dims).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var vectors = new Dictionary<string, float[]>();
        var metadata = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        var upserts = new List<DocumentUpsert>();
        for (int d = 0; d < docs; d++)
        {
            var upsert = Document($"d{d:D2}", Enumerable.Range(0, perDoc).Select(i => $"text {d} {i}").ToArray(), _ => Next(),
                new Dictionary<string, string> { ["source"] = $"d{d:D2}.txt", ["half"] = (d % 2).ToString() });
            foreach (var (id, v) in upsert.Vectors) (vectors[id], metadata[id]) = (v, upsert.Document.Metadata);
            upserts.Add(upsert);
        }
        var options = StoreTestKit.Options() with { VectorIndex = new VectorIndexSettings { Kind = kind, Metric = metric } };
        await using var store = await PostgresKnowledgeStore.CreateAsync(server.NewStore(), options, Ct);
        await store.CommitAsync(new StoreBatch { Upserts = upserts }, Ct);

        for (int q = 0; q < 5; q++)
        {
            var query = Next();
            var route = store.CreateDenseRoute(new FixedEmbedder(query))!;
            // The last filter passes 5 of 200 vectors: several rounds of over-fetching (iterative HNSW scans) find them.
            foreach (var filter in new[] { null, MetadataFilter.Equal("half", "1"), MetadataFilter.Equal("source", "d07.txt") })
            {
                var expected = vectors.Where(p => filter is null || filter.Matches(metadata[p.Key]))
                    .Select(p => new SearchHit(p.Key, Score(metric, query, p.Value), "dense"))
                    .OrderByDescending(h => h.Score).ThenBy(h => h.Id, StringComparer.Ordinal).Take(10).ToList();
                AssertSameHits(expected, await route.SearchAsync("q", 10, filter, Ct), 1e-5, $"{kind} {metric} query {q} filter {filter}");
            }
        }
    }

    [Theory]
    [InlineData(DocumentRouteKind.FirstChunk)]
    [InlineData(DocumentRouteKind.Mean)]
    [InlineData(DocumentRouteKind.Summary)]
    public async Task The_document_route_and_hierarchical_search_match_the_embedded_store(DocumentRouteKind kind)
    {
        var summarizer = new RagTune.Knowledge.Summaries.DelegateDocumentSummarizer((d, _) => Task.FromResult($"{d.Title} {d.Text[..Math.Min(60, d.Text.Length)]}"));
        await using var pair = await BuildAsync(StoreTestKit.Options() with { DocumentRoute = new DocumentRouteSettings { Kind = kind } }, summarizer);
        await AssertSameDocumentRouteAsync(pair);

        // Removal and change drop and replace a document's entry on both stores.
        Assert.True(await pair.Postgres.RemoveAsync("tea.md", Ct));
        Assert.True(await pair.Embedded.RemoveAsync("tea.md", Ct));
        File.AppendAllText(Path.Combine(pair.Corpus.Path, "bread.txt"), " Rye flour makes a darker loaf.");
        await pair.Embedded.AddFolderAsync(pair.Corpus.Path, cancellationToken: Ct);
        await pair.Postgres.AddFolderAsync(pair.Corpus.Path, cancellationToken: Ct);
        await AssertSameDocumentRouteAsync(pair);
        var stats = (await pair.Embedded.GetStatsAsync(Ct), await pair.Postgres.GetStatsAsync(Ct));
        Assert.Equal(stats.Item1.Documents, stats.Item2.RoutedDocuments);
        Assert.Equal((stats.Item1.RoutedDocuments, stats.Item1.RoutedDocumentVectors), (stats.Item2.RoutedDocuments, stats.Item2.RoutedDocumentVectors));
    }

    private static async Task AssertSameDocumentRouteAsync(Pair pair)
    {
        var dense = (pair.Embedded.Store.CreateDocumentDenseRoute(pair.EmbeddedEmbedder)!, pair.Postgres.Store.CreateDocumentDenseRoute(pair.PostgresEmbedder)!);
        foreach (var query in Queries)
        {
            var expected = await pair.Embedded.Store.DocumentLexicalRoute!.SearchAsync(query, 10, null, Ct);
            var actual = await pair.Postgres.Store.DocumentLexicalRoute!.SearchAsync(query, 10, null, Ct);
            AssertSameHits(expected, actual, 1e-4, $"document bm25 '{query}'");
            Assert.Equal(expected.Select(h => h.Text), actual.Select(h => h.Text));
            AssertSameHits(await dense.Item1.SearchAsync(query, 10, null, Ct), await dense.Item2.SearchAsync(query, 10, null, Ct), 1e-4, $"document dense '{query}'");
            // One route: the same chunks of the same three documents, near-ties (float sums) aside.
            foreach (var route in new[] { "bm25", "dense" })
            {
                var options = new KnowledgeSearchOptions { K = 6, Routes = [route], Hierarchical = true, Documents = 3 };
                AssertSameHits(Hits(await pair.Embedded.SearchAsync(query, options, Ct)), Hits(await pair.Postgres.SearchAsync(query, options, Ct)), 1e-4,
                    $"hierarchical {route} '{query}'");
            }
            // Over every document, each store's hierarchical search is its flat search (fusion included).
            foreach (var kb in new[] { pair.Embedded, pair.Postgres })
            {
                var flat = new KnowledgeSearchOptions { K = 6 };
                AssertSameHits(Hits(await kb.SearchAsync(query, flat, Ct)), Hits(await kb.SearchAsync(query, flat with { Hierarchical = true, Documents = 1000 }, Ct)),
                    1e-9, $"{kb.Store.GetType().Name} hierarchical over every document '{query}'");
            }
        }
    }

    private static List<SearchHit> Hits(IReadOnlyList<KnowledgeSearchResult> results) =>
        results.Select(r => new SearchHit(r.ChunkId, r.Score, r.Route)).ToList();

    [Fact]
    public async Task Hierarchical_search_without_a_document_route_names_kb_json_and_the_field()
    {
        await using var pair = await BuildAsync();
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => pair.Postgres.SearchAsync("tea", new KnowledgeSearchOptions { Hierarchical = true }, Ct));
        Assert.Contains("kb.json has no 'document_route' field", e.Message);
        Assert.Null(pair.Postgres.Store.DocumentLexicalRoute);
        Assert.Null(pair.Postgres.Store.CreateDocumentDenseRoute(pair.PostgresEmbedder));
    }

    private static double Score(VectorMetric metric, float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0, l2 = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
            l2 += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        }
        return metric switch
        {
            VectorMetric.Cosine => dot / Math.Sqrt(na * nb),
            VectorMetric.Dot => dot,
            _ => -Math.Sqrt(l2),
        };
    }
}
