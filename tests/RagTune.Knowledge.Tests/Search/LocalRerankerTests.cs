// LocalReranker: the IReranker over the engine's local reranker models — same hits, ordered by the model's probability,
// ties in fused order, cancellation between hits, a hit without text named.
using RagTune.Engine.Models;
using RagTune.Knowledge.Search;
using Xunit;

namespace RagTune.Knowledge.Tests.Search;

public sealed class LocalRerankerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string Model = Path.Combine(AppContext.BaseDirectory, "TestData", "models", "bert-tiny-reranker");

    [Fact]
    public async Task Hits_are_ordered_by_the_models_probability_and_carry_it()
    {
        using var reranker = LocalReranker.Load(Model);
        string[] passages = ["The quick brown fox jumps over the lazy dog.", "RagTune runs BERT in pure C#!", "Document search: embeddings 2024"];
        var hits = passages.Select((p, i) => new SearchHit($"c{i}", 10 - i, "bm25", Text: p)).ToList();
        var reranked = await reranker.RerankAsync("what does the quick fox do", hits, Ct);
        var scores = passages.Select(p => reranker.Model.Score("what does the quick fox do", p)).ToArray();
        var expected = Enumerable.Range(0, 3).OrderByDescending(i => scores[i]).Select(i => ($"c{i}", (double)scores[i]));
        Assert.Equal(expected, reranked.Select(h => (h.Id, h.Score)));
    }

    [Fact]
    public async Task Equal_scores_keep_the_fused_order()
    {
        using var reranker = new LocalReranker(new ConstantModel());
        var hits = Enumerable.Range(0, 5).Select(i => new SearchHit($"c{i}", i, "bm25", Text: "same")).ToList();
        Assert.Equal(hits.Select(h => h.Id), (await reranker.RerankAsync("q", hits, Ct)).Select(h => h.Id));
    }

    [Fact]
    public async Task A_hit_without_text_is_named()
    {
        using var reranker = new LocalReranker(new ConstantModel());
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => reranker.RerankAsync("q", [new SearchHit("c7", 1, "dense")], Ct));
        Assert.Contains("'c7' has no passage text", e.Message);
    }

    [Fact]
    public async Task Cancellation_stops_scoring()
    {
        using var reranker = new LocalReranker(new ConstantModel());
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reranker.RerankAsync("q", [new SearchHit("c", 1, "bm25", Text: "t")], cts.Token));
    }

    [Fact]
    public void A_folder_without_a_reranker_fails_with_a_knowledge_exception_naming_it()
    {
        string missing = Path.Combine(Path.GetTempPath(), "ragtune-no-model-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<KnowledgeException>(() => LocalReranker.Load(missing));
        Assert.Contains(missing, e.Message);
    }

    private sealed class ConstantModel : IRerankerModel
    {
        public string Directory => "constant";
        public float Score(string query, string passage) => 0.5f;
        public void Dispose() { }
    }
}
