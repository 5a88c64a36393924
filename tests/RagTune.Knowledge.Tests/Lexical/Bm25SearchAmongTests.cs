// SearchAmong (hierarchical search's second stage) scores a subset exactly as the full search scores it.
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Lexical;
using Xunit;

namespace RagTune.Knowledge.Tests.Lexical;

public sealed class Bm25SearchAmongTests
{
    [Fact]
    public void ASubsetRanksAndScoresAsTheFullSearchFilteredToIt()
    {
        var index = new Bm25Index(new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } });
        var rng = new Random(7);
        string[] words = ["tea", "leaf", "harvest", "spring", "oven", "bread", "starter", "vector", "graph", "知识", "检索", "分词"];
        for (int i = 0; i < 400; i++)
            index.Add($"c{i:D3}", string.Join(' ', Enumerable.Range(0, rng.Next(3, 30)).Select(_ => words[rng.Next(words.Length)])));
        // Removals and replacements leave tombstones in the postings: the subset search must skip them as the full one does.
        for (int i = 0; i < 400; i += 7) index.Remove($"c{i:D3}");
        index.Add("c001", "tea tea harvest spring");
        var subset = Enumerable.Range(0, 400).Where(i => i % 3 == 1).Select(i => $"c{i:D3}").Append("missing").ToList();
        var allowed = subset.ToHashSet();
        foreach (var query in new[] { "tea harvest", "spring bread starter", "知识 检索", "graph graph vector" })
        {
            var expected = index.Search(query, 15, allowed.Contains);
            var actual = index.SearchAmong(query, 15, subset);
            Assert.Equal(expected.Select(h => (h.Id, h.Score)), actual.Select(h => (h.Id, h.Score)));
            Assert.NotEmpty(actual);
        }
        Assert.Empty(index.SearchAmong("nothing matches", 5, subset));
        Assert.Equal(index.Search("tea", 5, id => id == "c001"), index.SearchAmong("tea", 5, ["c001", "c003"], id => id == "c001"));
    }
}
