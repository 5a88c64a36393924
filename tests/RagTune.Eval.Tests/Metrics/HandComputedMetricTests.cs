// Metric values worked out by hand from the definitions in docs/metrics.md.
using RagTune.Eval.Running;
using RagTune.Knowledge.Rag;
using RagTune.Eval.Metrics;

namespace RagTune.Eval.Tests.Metrics;

public sealed class HandComputedMetricTests
{
    [Fact]
    public void SquadF1CountsTokenOverlapAfterNormalisation()
    {
        // "cat sat" vs "cat sat on mat": P = 2/2, R = 2/4 → F1 = 2·1·0.5/1.5 = 2/3.
        Assert.Equal(2.0 / 3, SquadMetric.F1("The cat sat!", "a cat sat on the mat"), 12);
        // Repeated tokens count once per matching occurrence: "a a b" vs "a b b" → 2 common, P = R = 2/3.
        Assert.Equal(2.0 / 3, SquadMetric.F1("x x y", "x y y"), 12);
        // Max over references.
        Assert.Equal(1.0, SquadMetric.F1("Paris", ["London", "paris."]), 12);
        Assert.Equal(1.0, SquadMetric.ExactMatch("  THE  Eiffel Tower. ", ["Eiffel tower"]));
    }

    [Fact]
    public void CmrcF1UsesTheLongestCommonSubstringOfSegments()
    {
        // 北京大学 (4 segments) vs 北京 (2): LCS 2, P = 2/4, R = 2/2 → F1 = 2/3.
        Assert.Equal(2.0 / 3, CmrcMetric.F1("北京大学", ["北京"]), 12);
        // Contiguous, not a subsequence: 北X京 vs 北京 shares only one-segment substrings → LCS 1, P = 1/3, R = 1/2, F1 = 0.4.
        Assert.Equal(0.4, CmrcMetric.F1("北X京", ["北京"]), 12);
        // Mixed: "gpt 4模型" → [gpt, 4, 模, 型]; "gpt4模型" → [gpt4, 模, 型]; LCS [模, 型] = 2 → P = 2/4, R = 2/3, F1 = 4/7.
        Assert.Equal(4.0 / 7, CmrcMetric.F1("gpt 4模型", ["gpt4模型"]), 12);
        // EM removes the listed marks only: Chinese full stop yes, English period no.
        Assert.Equal(1.0, CmrcMetric.ExactMatch("北京。", ["北京"]));
        Assert.Equal(0.0, CmrcMetric.ExactMatch("北京.", ["北京"]));
        Assert.Equal(0.0, CmrcMetric.F1("", ["北京"]));
    }

    [Fact]
    public void RougeLIsTheLcsFMeasure()
    {
        // "a b c d" vs "a c d": LCS 3, P = 3/4, R = 1.
        Assert.Equal(6.0 / 7, RougeL.Score("a b c d", ["a c d"]), 12);
        // β = 2 weights recall: (1+4)·0.75·1 / (1 + 4·0.75) = 0.9375.
        Assert.Equal(0.9375, RougeL.Score("a b c d", ["a c d"], beta: 2), 12);
        // Characters for Chinese: 我爱北京 vs 我在北京: LCS 我北京 = 3, P = R = 3/4.
        Assert.Equal(0.75, RougeL.Score("我爱北京", ["我在北京"]), 12);
        Assert.Equal(0.0, RougeL.Score("", ["x"]));
        Assert.Throws<EvalException>(() => RougeL.Score("x", Array.Empty<string>()));
    }

    [Fact]
    public void FinalAnswerIsTakenAfterTheLastMarker()
    {
        const string cot = "Reasoning… <ANSWER>: draft\nMore thought. <ANSWER>:  42 km \n";
        Assert.Equal("42 km", RagPromptFormat.Default.FinalAnswer(cot));
        Assert.Equal("plain answer", RagPromptFormat.Default.FinalAnswer("  plain answer\n"));
        Assert.Equal("", RagPromptFormat.Default.FinalAnswer("<ANSWER>:"));
    }

    [Fact]
    public void CitationsAreCheckedAgainstTheDocumentsIgnoringWhitespace()
    {
        const string output = "The doc says ##begin_quote##the  river is\n 42 km long##end_quote## and ##begin_quote##it is blue##end_quote##; " +
                              "also ##begin_quote##长江 全长##end_quote## <ANSWER>: 42 km ##begin_quote##unterminated";
        var docs = new[] { "Facts: the river is 42 km long.", "长江全长6300公里。" };
        var r = CitationCheck.Check(output, docs);
        Assert.Equal(3, r.Quotes);
        Assert.Equal(2, r.Supported);
        Assert.False(r.AllSupported);
        Assert.Equal(new[] { true, false, true }, r.QuoteSupported);
        var none = CitationCheck.Check("no quotes here", docs);
        Assert.Equal(0, none.Quotes);
        Assert.True(none.AllSupported);
    }

    [Fact]
    public void ContainmentNormalisesCaseWidthAndPunctuation()
    {
        var passages = new[] { "The Yangtze (长江) is 6,300 km long.", "Other text." };
        Assert.Equal(1.0, Containment.Contains("yangtze 长江", passages));
        Assert.Equal(1.0, Containment.Contains("６３００ＫＭ", passages)); // full-width → NFKC
        Assert.Equal(0.0, Containment.Contains("6,300 miles", passages));
        Assert.Equal(0.0, Containment.Contains("!!!", passages));
        // "6300miles" vs passage: longest common substring "6300" = 4 of 9 characters.
        Assert.Equal(4.0 / 9, Containment.LcsRatio("6,300 miles", passages), 12);
        Assert.Equal(1.0, Containment.LcsRatio("Other", passages), 12);
    }

    [Fact]
    public void CosineOfKnownVectors()
    {
        Assert.Equal(1.0, SemanticSimilarity.Cosine([1, 2, 3], [2, 4, 6]), 12);
        Assert.Equal(0.0, SemanticSimilarity.Cosine([1, 0], [0, 5]), 12);
        Assert.Equal(-1.0, SemanticSimilarity.Cosine([1, 1], [-1, -1]), 12);
        Assert.Equal(0.0, SemanticSimilarity.Cosine([0, 0], [1, 1]), 12);
        Assert.Throws<EvalException>(() => SemanticSimilarity.Cosine([1], [1, 2]));
    }

    [Fact]
    public async Task SemanticSimilarityBatchesDistinctTextsAndTakesTheMax()
    {
        var gen = new FakeEmbeddingGenerator();
        var sim = new SemanticSimilarity(gen, batchSize: 3);
        var scores = await sim.ScoreAsync(
        [
            ("abc", ["xyz", "cab"]), // "cab" has the same characters → 1
            ("", ["abc"]),           // empty prediction → 0, not embedded
            ("ab", ["ab", "cd"]),
        ], TestContext.Current.CancellationToken);
        Assert.Equal(1.0, scores[0], 9);
        Assert.Equal(0.0, scores[1]);
        Assert.Equal(1.0, scores[2], 9);
        // Distinct texts: abc, xyz, cab, ab, cd = 5 → batches of 3 and 2.
        Assert.Equal(new[] { 3, 2 }, gen.BatchSizes);
    }

    [Fact]
    public void BootstrapIntervalIsSeededAndBracketsTheMean()
    {
        var values = Enumerable.Range(0, 200).Select(i => i % 3 == 0 ? 1.0 : 0.0).ToArray();
        var a = Aggregator.BootstrapCi(values, 1000, 0.95, seed: 7);
        var b = Aggregator.BootstrapCi(values, 1000, 0.95, seed: 7);
        Assert.Equal(a, b);
        double mean = values.Average();
        Assert.True(a.Low < mean && mean < a.High);
        // Normal approximation: ±1.96·sqrt(p(1−p)/n) ≈ ±0.066; the bootstrap should be close.
        double half = 1.96 * Math.Sqrt(mean * (1 - mean) / values.Length);
        Assert.InRange(a.High - a.Low, 2 * half * 0.85, 2 * half * 1.15);
        var constant = Aggregator.BootstrapCi([0.5, 0.5, 0.5], 100, 0.95, seed: 1);
        Assert.Equal((0.5, 0.5), constant);
    }
}
