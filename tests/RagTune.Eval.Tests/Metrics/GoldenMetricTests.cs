// Checks SQuAD and CMRC 2018 EM/F1, their normalisation/segmentation and ROUGE-L against the values the official
// Python functions give (tools/reference/eval_golden.py → TestData/eval_golden.json).
using System.Text.Json;
using RagTune.Eval.Metrics;

namespace RagTune.Eval.Tests.Metrics;

public sealed class GoldenMetricTests
{
    private sealed record Case(string Source, string Prediction, List<string> References, double SquadEm, double SquadF1, string SquadNormalized,
        double CmrcEm, double CmrcF1, List<string> CmrcSegments, List<string> CmrcSegmentsWithPunct, double RougeL);

    private static readonly Lazy<List<Case>> Cases = new(Read);

    private static List<Case> Load() => Cases.Value;

    private static List<Case> Read()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "eval_golden.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        return doc.RootElement.GetProperty("cases").Deserialize<List<Case>>(options)!;
    }

    public static TheoryData<int> Indices() => new(Enumerable.Range(0, Load().Count));

    [Fact]
    public void FixtureHasThePlannedCases()
    {
        var cases = Load();
        int hand = cases.Count(c => c.Source == "hand"), cmrc = cases.Count(c => c.Source == "cmrc2018_trial");
        Assert.True(hand >= 70, $"expected at least 70 hand-written golden cases, found {hand}");
        Assert.Equal(180, cmrc);
        Assert.Contains(cases, c => c.Prediction.Length == 0);
        Assert.Contains(cases, c => c.References.Count > 1);
        Assert.Contains(cases, c => PyText.ContainsCjk(c.Prediction) && c.Prediction.Any(char.IsAsciiLetter));
    }

    [Fact]
    public void WordTokenizeMatchesNltk()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "TestData", "eval_golden.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var cases = doc.RootElement.GetProperty("tokenizer_cases").EnumerateArray().ToList();
        Assert.True(cases.Count >= 25);
        foreach (var c in cases)
        {
            var text = c.GetProperty("text").GetString()!;
            var expected = c.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToList();
            Assert.True(expected.SequenceEqual(CmrcMetric.WordTokenize(text)),
                $"'{text}': expected [{string.Join(" | ", expected)}], got [{string.Join(" | ", CmrcMetric.WordTokenize(text))}]");
        }
    }

    [Theory]
    [MemberData(nameof(Indices))]
    public void MatchesOfficialScripts(int index)
    {
        var c = Load()[index];
        var label = $"case {index} '{c.Prediction}'";
        Assert.True(c.SquadNormalized == SquadMetric.Normalize(c.Prediction), $"{label}: normalize_answer");
        Assert.True(c.SquadEm == SquadMetric.ExactMatch(c.Prediction, c.References), $"{label}: squad EM");
        Assert.True(Math.Abs(c.SquadF1 - SquadMetric.F1(c.Prediction, c.References)) < 1e-9, $"{label}: squad F1 {SquadMetric.F1(c.Prediction, c.References)} vs {c.SquadF1}");
        Assert.Equal(c.CmrcSegments, CmrcMetric.MixedSegmentation(c.Prediction, removePunctuation: true));
        Assert.Equal(c.CmrcSegmentsWithPunct, CmrcMetric.MixedSegmentation(c.Prediction, removePunctuation: false));
        Assert.True(c.CmrcEm == CmrcMetric.ExactMatch(c.Prediction, c.References), $"{label}: cmrc EM");
        Assert.True(Math.Abs(c.CmrcF1 - CmrcMetric.F1(c.Prediction, c.References)) < 1e-9, $"{label}: cmrc F1 {CmrcMetric.F1(c.Prediction, c.References)} vs {c.CmrcF1}");
        Assert.True(Math.Abs(c.RougeL - RougeL.Score(c.Prediction, c.References)) < 1e-9, $"{label}: ROUGE-L {RougeL.Score(c.Prediction, c.References)} vs {c.RougeL}");
    }
}
