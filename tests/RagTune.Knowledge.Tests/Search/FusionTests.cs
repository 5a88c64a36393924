// Reciprocal-rank and weighted score fusion against hand-computed values.
using RagTune.Knowledge.Search;
using Xunit;
using static RagTune.Knowledge.Tests.Search.FakeRoute;

namespace RagTune.Knowledge.Tests.Search;

public sealed class FusionTests
{
    // bm25 ranks a, b, c; dense ranks b, d, a.
    private static readonly RouteResult Bm25 = new("bm25", [Hit("a", 10) with { Route = "bm25" }, Hit("b", 6) with { Route = "bm25" }, Hit("c", 2) with { Route = "bm25" }]);
    private static readonly RouteResult Dense = new("dense", [Hit("b", 0.9) with { Route = "dense" }, Hit("d", 0.7) with { Route = "dense" }, Hit("a", 0.5) with { Route = "dense" }]);

    [Fact]
    public void Rrf_MatchesHandComputation()
    {
        var fused = new ReciprocalRankFusion().Fuse([Bm25, Dense], 10);
        // b: 1/62 + 1/61, a: 1/61 + 1/63, d: 1/62, c: 1/63.
        Assert.Equal(["b", "a", "d", "c"], fused.Select(h => h.Id));
        Assert.Equal(1.0 / 62 + 1.0 / 61, fused[0].Score, 12);
        Assert.Equal(1.0 / 61 + 1.0 / 63, fused[1].Score, 12);
        Assert.Equal(1.0 / 62, fused[2].Score, 12);
        Assert.Equal(1.0 / 63, fused[3].Score, 12);
        Assert.Equal("bm25+dense", fused[0].Route);
        Assert.Equal("dense", fused[2].Route);
    }

    [Fact]
    public void Rrf_WithKAndWeights()
    {
        var fused = new ReciprocalRankFusion(k: 0, new Dictionary<string, double> { ["dense"] = 2 }).Fuse([Bm25, Dense], 2);
        // k = 0: b: 1/2 + 2·1/1 = 2.5, a: 1/1 + 2·1/3 = 1.6667, d: 2·1/2 = 1, c: 1/3.
        Assert.Equal(["b", "a"], fused.Select(h => h.Id));
        Assert.Equal(2.5, fused[0].Score, 12);
        Assert.Equal(1 + 2.0 / 3, fused[1].Score, 12);
    }

    [Fact]
    public void Rrf_TiesBreakByBestRankThenId()
    {
        var x = new RouteResult("x", [Hit("p", 1), Hit("q", 1)]);
        var y = new RouteResult("y", [Hit("q", 1), Hit("p", 1)]);
        var fused = new ReciprocalRankFusion().Fuse([x, y], 5);
        Assert.Equal(fused[0].Score, fused[1].Score, 15);
        Assert.Equal(["p", "q"], fused.Select(h => h.Id));
    }

    // Every route of one search ranks the same knowledge base, so one id is one chunk however many routes found it (a
    // routed question goes to one knowledge base: RoutedRetriever records which in RetrievedPassage.KnowledgeBase).
    [Theory]
    [InlineData("rrf")]
    [InlineData("weighted")]
    public void TheSameIdFromTwoRoutesIsOneHitThatNamesBoth(string method)
    {
        IRankFusion fusion = method == "rrf" ? new ReciprocalRankFusion() : new WeightedScoreFusion();
        var x = new RouteResult("bm25", [Hit("1", 3) with { Route = "bm25", Text = "from bm25" }, Hit("2", 1) with { Route = "bm25" }]);
        var y = new RouteResult("dense", [Hit("1", 0.9) with { Route = "dense", Text = "from dense" }]);
        var fused = fusion.Fuse([x, y], 5);
        Assert.Equal(["1", "2"], fused.Select(h => h.Id));
        Assert.Equal("bm25+dense", fused[0].Route);
        Assert.Equal("from bm25", fused[0].Text);
    }

    [Fact]
    public void Weighted_MinMaxNormalisesPerRoute()
    {
        var fused = new WeightedScoreFusion(new Dictionary<string, double> { ["bm25"] = 0.3, ["dense"] = 0.7 }).Fuse([Bm25, Dense], 10);
        // bm25 10, 6, 2 → 1, 0.5, 0; dense 0.9, 0.7, 0.5 → 1, 0.5, 0.
        // b = 0.3·0.5 + 0.7·1 = 0.85; d = 0.7·0.5 = 0.35; a = 0.3·1 + 0.7·0 = 0.3; c = 0.
        Assert.Equal(["b", "d", "a", "c"], fused.Select(h => h.Id));
        Assert.Equal([0.85, 0.35, 0.3, 0.0], fused.Select(h => Math.Round(h.Score, 12)));
    }

    [Fact]
    public void Weighted_ConstantScoresNormaliseToOne_AndScaleDoesNotMatter()
    {
        var single = new RouteResult("bm25", [Hit("only", 42)]);
        var flat = new RouteResult("dense", [Hit("x", 0.3), Hit("y", 0.3)]);
        var fused = new WeightedScoreFusion().Fuse([single, flat], 10);
        Assert.All(fused, h => Assert.Equal(1.0, h.Score, 12));

        var scaled = new RouteResult("bm25", Bm25.Hits.Select(h => h with { Score = h.Score * 1000 + 5 }).ToList());
        var a = new WeightedScoreFusion().Fuse([Bm25, Dense], 10);
        var b = new WeightedScoreFusion().Fuse([scaled, Dense], 10);
        Assert.Equal(a.Select(h => (h.Id, Math.Round(h.Score, 9))), b.Select(h => (h.Id, Math.Round(h.Score, 9))));
    }

    [Fact]
    public void Weighted_RejectsNegativeWeights() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightedScoreFusion(new Dictionary<string, double> { ["x"] = -1 }));
}
