// BM25: a hand-computed example, a naive twin, incremental updates vs rebuild, persistence, Chinese retrieval.
using System.Text.Json;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Tests.Analysis;
using Xunit;

namespace RagTune.Knowledge.Tests.Lexical;

public sealed class Bm25IndexTests : IDisposable
{
    private static readonly Bm25Options BigramOptions = new() { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } };
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ragtune-bm25-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static Bm25Options JiebaOptions => new() { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Jieba } };

    [Fact]
    public void Scores_match_a_hand_computed_example()
    {
        var index = new Bm25Index(BigramOptions);
        index.Add("d1", "the cat sat");
        index.Add("d2", "the dog sat on the mat");
        index.Add("d3", "cats and dogs");
        Assert.Equal(4.0, index.AverageDocumentLength);
        var hits = index.Search("cat sat", 10);
        // N = 3, avgdl = 4, k1 = 1.2, b = 0.75; idf(cat) = ln(1 + 2.5/1.5), idf(sat) = ln(1 + 1.5/2.5);
        // d1: (idf(cat) + idf(sat)) · 2.2 / (1 + 1.2·(0.25 + 0.75·3/4)); d2: idf(sat) · 2.2 / (1 + 1.2·(0.25 + 0.75·6/4)).
        Assert.Equal(["d1", "d2"], hits.Select(h => h.Id));
        Assert.Equal(1.616117640995654, hits[0].Score, 12);
        Assert.Equal(0.39019169220400696, hits[1].Score, 12);
    }

    // The twin recomputes BM25 from the analyzer's tokens with no index at all.
    private static Dictionary<string, double> NaiveScores(Dictionary<string, string> docs, string query, ITextAnalyzer analyzer, double k1 = 1.2, double b = 0.75)
    {
        var tokens = docs.ToDictionary(d => d.Key, d => analyzer.Analyze(d.Value).Select(t => t.Term).ToList());
        double avgdl = tokens.Values.Average(t => t.Count);
        int n = docs.Count;
        var scores = new Dictionary<string, double>();
        foreach (var (id, terms) in tokens)
        {
            double score = 0;
            foreach (string q in analyzer.Analyze(query).Select(t => t.Term))
            {
                int df = tokens.Values.Count(t => t.Contains(q));
                int tf = terms.Count(t => t == q);
                if (tf == 0) continue;
                double idf = Math.Log(1 + (n - df + 0.5) / (df + 0.5));
                score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * terms.Count / avgdl));
            }
            if (score > 0) scores[id] = score;
        }
        return scores;
    }

    private static Dictionary<string, string> RandomCorpus(int count, int seed)
    {
        var rng = new Random(seed);
        string[] vocab = ["alpha", "beta", "gamma", "delta", "知识", "检索", "模型", "数据", "river", "stone", "cloud", "北京", "大学"];
        var docs = new Dictionary<string, string>();
        for (int i = 0; i < count; i++)
            docs[$"doc-{i:D4}"] = string.Join(" ", Enumerable.Range(0, rng.Next(1, 30)).Select(_ => vocab[rng.Next(vocab.Length)]));
        return docs;
    }

    private static void AssertSameScores(Dictionary<string, double> expected, IReadOnlyList<Bm25Hit> hits)
    {
        Assert.Equal(expected.Count, hits.Count);
        foreach (var h in hits) Assert.Equal(expected[h.Id], h.Score, 10);
        for (int i = 1; i < hits.Count; i++)
            Assert.True(hits[i - 1].Score > hits[i].Score || (hits[i - 1].Score == hits[i].Score && string.CompareOrdinal(hits[i - 1].Id, hits[i].Id) < 0));
    }

    [Theory]
    [InlineData(1.2, 0.75)]
    [InlineData(2.0, 0.3)]
    [InlineData(0.9, 1.0)]
    public void Scores_match_a_naive_twin(double k1, double b)
    {
        var docs = RandomCorpus(300, 7);
        var index = new Bm25Index(BigramOptions with { K1 = k1, B = b });
        foreach (var (id, text) in docs) index.Add(id, text);
        foreach (string q in new[] { "alpha", "beta gamma", "知识检索", "river river stone", "北京大学 cloud" })
            AssertSameScores(NaiveScores(docs, q, index.Analyzer, k1, b), index.Search(q, 1000));
    }

    [Fact]
    public void Incremental_adds_removes_and_updates_equal_a_rebuild()
    {
        var docs = RandomCorpus(400, 11);
        var index = new Bm25Index(BigramOptions);
        foreach (var (id, text) in docs) index.Add(id, text);
        var rng = new Random(3);
        foreach (string id in docs.Keys.OrderBy(_ => rng.Next()).Take(120).ToList())
        {
            Assert.True(index.Remove(id));
            docs.Remove(id);
        }
        Assert.False(index.Remove("doc-missing"));
        foreach (string id in docs.Keys.Take(40).ToList())
        {
            docs[id] = "beta beta 模型 updated text " + id;
            index.Add(id, docs[id]);
        }
        Assert.Equal(docs.Count, index.Count);

        var rebuilt = new Bm25Index(BigramOptions);
        foreach (var (id, text) in docs) rebuilt.Add(id, text);
        string[] queries = ["alpha", "beta 模型", "updated", "stone cloud 数据"];
        foreach (string q in queries)
        {
            Assert.Equal(rebuilt.Search(q, 50), index.Search(q, 50));
            AssertSameScores(NaiveScores(docs, q, index.Analyzer), index.Search(q, 1000));
        }
        index.Compact();
        foreach (string q in queries) Assert.Equal(rebuilt.Search(q, 50), index.Search(q, 50));
    }

    [Fact]
    public void Many_updates_trigger_compaction_and_keep_scores()
    {
        var docs = RandomCorpus(600, 17);
        var index = new Bm25Index(BigramOptions);
        foreach (var (id, text) in docs) index.Add(id, text);
        for (int round = 0; round < 3; round++)
            foreach (var (id, text) in docs) index.Add(id, text + " round" + round);
        Assert.True(index.DocumentSlots < 4 * docs.Count, $"no automatic compaction: {index.DocumentSlots} slots");
        foreach (string id in docs.Keys) docs[id] += " round2";
        var rebuilt = new Bm25Index(BigramOptions);
        foreach (var (id, text) in docs) rebuilt.Add(id, text);
        foreach (string q in new[] { "alpha round2", "知识 round0", "stone" })
            Assert.Equal(rebuilt.Search(q, 20), index.Search(q, 20));
        index.Compact();
        Assert.Equal(rebuilt.TermCount, index.TermCount); // the dead terms "round0" and "round1" are gone
        Assert.Equal(rebuilt.Search("alpha round2", 20), index.Search("alpha round2", 20));
    }

    [Fact]
    public void MaxScore_returns_exactly_the_exhaustive_top_k()
    {
        // Zipf-like term frequencies, so that frequent terms become non-essential and pruning really happens.
        var rng = new Random(21);
        string[] vocab = Enumerable.Range(0, 300).Select(i => $"w{i}").ToArray();
        int Zipf() => (int)Math.Min(vocab.Length - 1, Math.Floor(Math.Exp(rng.NextDouble() * Math.Log(vocab.Length + 1)) - 1));
        var index = new Bm25Index(BigramOptions);
        for (int d = 0; d < 1500; d++)
            index.Add($"d{d:D5}", string.Join(" ", Enumerable.Range(0, rng.Next(3, 60)).Select(_ => vocab[Zipf()])));
        for (int d = 0; d < 1500; d += 7) index.Remove($"d{d:D5}");
        long scored = 0, matching = 0;
        for (int q = 0; q < 80; q++)
        {
            string query = string.Join(" ", Enumerable.Range(0, rng.Next(1, 6)).Select(_ => vocab[Zipf()]));
            foreach (int k in new[] { 1, 10, 50 })
                Assert.Equal(index.SearchExhaustive(query, k), index.Search(query, k));
            index.Search(query, 10);
            scored += Bm25Index.LastScoredCount;
            matching += index.SearchExhaustive(query, 100_000).Count;
            Func<string, bool> odd = id => id[^1] % 2 == 1;
            Assert.Equal(index.SearchExhaustive(query, 10, odd), index.Search(query, 10, odd));
        }
        Assert.True(scored * 2 < matching, $"MaxScore fully scored {scored} of {matching} matching documents");
    }

    [Fact]
    public void Filter_and_top_k_are_applied()
    {
        var docs = RandomCorpus(100, 5);
        var index = new Bm25Index(BigramOptions);
        foreach (var (id, text) in docs) index.Add(id, text);
        var all = index.Search("alpha beta", 1000);
        var even = index.Search("alpha beta", 5, id => int.Parse(id[4..]) % 2 == 0);
        Assert.Equal(all.Where(h => int.Parse(h.Id[4..]) % 2 == 0).Take(5), even);
        Assert.Equal(all.Take(3), index.Search("alpha beta", 3));
        Assert.Empty(index.Search("zebra", 10));
    }

    [Fact]
    public void Save_and_load_round_trip_with_the_recorded_analyzer()
    {
        var docs = RandomCorpus(200, 9);
        var index = new Bm25Index(JiebaOptions with { K1 = 1.5 });
        foreach (var (id, text) in docs) index.Add(id, text);
        index.Remove("doc-0003");
        index.Save(_dir);

        var loaded = Bm25Index.Load(_dir);
        Assert.Equal(index.Options, loaded.Options);
        Assert.Equal(ChineseMode.Jieba, loaded.Options.Analyzer.ChineseMode);
        Assert.Equal(index.Count, loaded.Count);
        foreach (string q in new[] { "北京大学的知识检索", "alpha delta", "模型数据" })
            Assert.Equal(index.Search(q, 100), loaded.Search(q, 100));

        // Incremental after reload, then a second save: new generation, old file gone.
        loaded.Add("new", "北京大学 river");
        loaded.Save(_dir);
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_dir, "manifest.json")));
        Assert.Equal(2, manifest.RootElement.GetProperty("generation").GetInt64());
        Assert.Equal(["bm25-000002.bin", "manifest.json"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
        Assert.Equal("new", Bm25Index.Load(_dir).Search("river 北京大学", 1)[0].Id);
    }

    [Fact]
    public void A_save_interrupted_before_the_manifest_swap_leaves_the_previous_index()
    {
        var index = new Bm25Index(BigramOptions);
        index.Add("a", "first version");
        index.Save(_dir);
        // What a crash between writing the next data file and swapping the manifest leaves behind.
        File.WriteAllBytes(Path.Combine(_dir, "bm25-000002.bin"), [1, 2, 3]);
        File.WriteAllBytes(Path.Combine(_dir, "bm25-000003.bin.tmp"), [4, 5]);
        File.WriteAllText(Path.Combine(_dir, "manifest.json.tmp"), "{ half a manif");

        var loaded = Bm25Index.Load(_dir);
        Assert.Equal("a", loaded.Search("first", 1)[0].Id);
        loaded.Add("b", "second version");
        loaded.Save(_dir);
        Assert.Equal(["bm25-000002.bin", "manifest.json"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order());
        Assert.Equal(2, Bm25Index.Load(_dir).Count);
    }

    [Fact]
    public async Task Concurrent_searches_and_writes_are_safe()
    {
        var ct = TestContext.Current.CancellationToken;
        var docs = RandomCorpus(300, 13);
        var index = new Bm25Index(BigramOptions);
        foreach (var (id, text) in docs.Take(150)) index.Add(id, text);
        var writer = Task.Run(() =>
        {
            foreach (var (id, text) in docs.Skip(150)) index.Add(id, text);
            foreach (string id in docs.Keys.Take(50)) index.Remove(id);
        }, ct);
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 200; i++)
                foreach (var h in index.Search("alpha 知识 river", 5)) Assert.True(h.Score > 0);
        }, ct)).ToArray();
        await Task.WhenAll([writer, .. readers]);
        Assert.Equal(250, index.Count);
    }

    [Fact]
    public void Corrupt_or_missing_files_are_clear_errors()
    {
        var ex = Assert.Throws<KnowledgeException>(() => Bm25Index.Load(_dir));
        Assert.Contains("manifest.json", ex.Message);

        var index = new Bm25Index(BigramOptions);
        index.Add("a", "some text here");
        index.Save(_dir);
        string data = Path.Combine(_dir, "bm25-000001.bin");
        var bytes = File.ReadAllBytes(data);
        File.WriteAllBytes(data, bytes[..^12]);
        ex = Assert.Throws<KnowledgeException>(() => Bm25Index.Load(_dir));
        Assert.Contains("bm25-000001.bin", ex.Message);
    }

    private static readonly (string Id, string Text)[] ChineseDocs =
    [
        ("beijing", "北京大学是中国近代第一所国立综合性大学，创办于1898年，初名京师大学堂。"),
        ("panda", "大熊猫是中国特有物种，主要栖息在四川、陕西和甘肃的山区，以竹子为主要食物。"),
        ("tea", "龙井茶是中国传统名茶，产于浙江省杭州市西湖一带，以色绿、香郁、味甘、形美著称。"),
        ("rocket", "长征五号运载火箭是中国运载能力最大的火箭，于2016年在海南文昌首次发射成功。"),
    ];

    [Theory]
    [InlineData(ChineseMode.Jieba)]
    [InlineData(ChineseMode.Bigram)]
    public void Chinese_queries_retrieve_the_right_document(ChineseMode mode)
    {
        var options = mode == ChineseMode.Jieba ? JiebaOptions : BigramOptions;
        var index = new Bm25Index(options);
        foreach (var (id, text) in ChineseDocs) index.Add(id, text);
        Assert.Equal("beijing", index.Search("京师大学堂是哪一年创办的？")[0].Id);
        Assert.Equal("panda", index.Search("熊猫吃什么食物")[0].Id);
        Assert.Equal("tea", index.Search("西湖龙井产自哪里")[0].Id);
        Assert.Equal("rocket", index.Search("长征五号首次发射")[0].Id);
    }

    [Fact]
    public void Invalid_parameters_are_rejected()
    {
        Assert.Throws<KnowledgeException>(() => new Bm25Index(BigramOptions with { B = 1.5 }));
        Assert.Throws<KnowledgeException>(() => new Bm25Index(BigramOptions with { K1 = -1 }));
    }
}
