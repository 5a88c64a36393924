// Hybrid search: concurrent routes, per-query route choice, filters passed down, fusion and the rerank stage; the dense route.
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Embeddings;
using RagTune.Knowledge.Search;
using Xunit;
using static RagTune.Knowledge.Tests.Search.FakeRoute;

namespace RagTune.Knowledge.Tests.Search;

public sealed class HybridSearcherTests
{
    private static (FakeRoute Bm25, FakeRoute Dense) Routes() =>
        (new FakeRoute("bm25", Hit("a", 10), Hit("b", 6), Hit("c", 2)),
         new FakeRoute("dense", Hit("b", 0.9), Hit("d", 0.7), Hit("a", 0.5)));

    [Fact]
    public async Task RunsRoutesConcurrentlyAndFusesWithRrf()
    {
        var (bm25, dense) = Routes();
        var release = new TaskCompletionSource();
        bm25.Gate = release.Task;
        dense.Gate = release.Task;
        var searcher = new HybridSearcher([bm25, dense]);
        var search = searcher.SearchAsync("query", 3, cancellationToken: TestContext.Current.CancellationToken);
        // Both routes must be running before either is allowed to finish.
        await Task.WhenAll(bm25.Started.Task, dense.Started.Task).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        release.SetResult();
        var hits = await search;
        Assert.Equal(["b", "a", "d"], hits.Select(h => h.Id));
        Assert.Equal(HybridSearcher.DefaultCandidatesPerRoute, bm25.Requests.Single().K);
    }

    [Fact]
    public async Task Cancellation_StopsWaitingRoutes()
    {
        var (bm25, dense) = Routes();
        var never = new TaskCompletionSource();
        bm25.Gate = never.Task;
        dense.Gate = never.Task;
        using var cts = new CancellationTokenSource();
        var search = new HybridSearcher([bm25, dense]).SearchAsync("q", 3, cancellationToken: cts.Token);
        await bm25.Started.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => search);
    }

    [Fact]
    public async Task PerQueryRoutesFilterFusionAndCandidates()
    {
        var (bm25, dense) = Routes();
        var searcher = new HybridSearcher([bm25, dense]);
        var ct = TestContext.Current.CancellationToken;

        var onlyDense = await searcher.SearchAsync("q", 2, new HybridSearchOptions { Routes = ["dense"] }, ct);
        Assert.Equal(["b", "d"], onlyDense.Select(h => h.Id));
        Assert.Equal(0.9, onlyDense[0].Score); // one route: its own scores
        Assert.Empty(bm25.Requests);

        var filter = MetadataFilter.Equal("lang", "zh");
        var weighted = await searcher.SearchAsync("q", 4, new HybridSearchOptions
        {
            Filter = filter,
            CandidatesPerRoute = 7,
            Fusion = new WeightedScoreFusion(new Dictionary<string, double> { ["bm25"] = 0.3, ["dense"] = 0.7 }),
        }, ct);
        Assert.Same(filter, bm25.Requests.Single().Filter);
        Assert.Equal(7, dense.Requests.Last().K);
        Assert.Empty(weighted); // none of the fake hits has lang = zh

        var unfiltered = await searcher.SearchAsync("q", 4, new HybridSearchOptions
        {
            Fusion = new WeightedScoreFusion(new Dictionary<string, double> { ["bm25"] = 0.3, ["dense"] = 0.7 }),
        }, ct);
        Assert.Equal(["b", "d", "a", "c"], unfiltered.Select(h => h.Id));

        var e = await Assert.ThrowsAsync<KnowledgeException>(() => searcher.SearchAsync("q", 2, new HybridSearchOptions { Routes = ["bm42"] }, ct));
        Assert.Contains("'bm42'", e.Message);
        Assert.Contains("bm25, dense", e.Message);
    }

    [Fact]
    public async Task RerankerSeesTheFusedHeadAndDecidesTheOrder()
    {
        var (bm25, dense) = Routes();
        var reranker = new ReversingReranker();
        var searcher = new HybridSearcher([bm25, dense], reranker: reranker);
        var ct = TestContext.Current.CancellationToken;
        var hits = await searcher.SearchAsync("q", 2, new HybridSearchOptions { RerankDepth = 4 }, ct);
        Assert.Equal(["b", "a", "d", "c"], reranker.Seen.Select(h => h.Id));
        Assert.Equal(["c", "d"], hits.Select(h => h.Id));
        var skipped = await searcher.SearchAsync("q", 2, new HybridSearchOptions { Rerank = false }, ct);
        Assert.Equal(["b", "a"], skipped.Select(h => h.Id));
    }

    [Fact]
    public async Task DenseRoute_EmbedsWithTheQueryPrefixAndReturnsMetadataAndText()
    {
        var embedder = new FakeEmbeddingGenerator();
        var prompts = new EmbeddingPrompts("query: ", "");
        var index = new ExactVectorIndex(32);
        string[] passages = ["annual leave is fifteen days", "the vpn needs a token", "parking is free on sundays"];
        var progress = new List<int>();
        int indexed = await index.UpsertPassagesAsync(PrefixedEmbeddingGenerator.ForPassages(embedder, prompts),
            passages.Select((p, i) => new DensePassage($"p{i}", p, new Dictionary<string, string> { ["dept"] = i == 1 ? "it" : "hr" })),
            batchSize: 2, progress: new SyncProgress(progress), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(3, indexed);
        Assert.Equal([2, 3], progress);
        Assert.Equal(passages, embedder.Inputs);
        embedder.Inputs.Clear();
        var queries = PrefixedEmbeddingGenerator.ForQueries(embedder, prompts);
        var route = new DenseRoute(queries, index);
        var ct = TestContext.Current.CancellationToken;

        var hits = await route.SearchAsync("how many days of annual leave", 2, null, ct);
        Assert.Equal("query: how many days of annual leave", embedder.Inputs.Single());
        Assert.Equal("p0", hits[0].Id);
        Assert.Equal("dense", hits[0].Route);
        Assert.Equal(passages[0], hits[0].Text);
        Assert.Equal("hr", hits[0].Metadata!["dept"]);

        var itOnly = await route.SearchAsync("how many days of annual leave", 2, MetadataFilter.Equal("dept", "it"), ct);
        Assert.Equal("p1", Assert.Single(itOnly).Id);

        var wrongModel = new DenseRoute(new FakeEmbeddingGenerator(8), index);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => wrongModel.SearchAsync("x", 1, null, ct));
        Assert.Contains("8 dimensions, expected the index's 32", e.Message);
    }

    private sealed class SyncProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value) => reports.Add(value);
    }

    private sealed class ReversingReranker : IReranker
    {
        public IReadOnlyList<SearchHit> Seen { get; private set; } = [];

        public Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
        {
            Seen = hits;
            return Task.FromResult<IReadOnlyList<SearchHit>>(hits.Reverse().ToList());
        }
    }
}
