// jieba segmentation checked word for word against the real jieba 0.42.1 (fixture by tools/reference/jieba_golden.py).
using System.Text.Json;
using RagTune.Knowledge.Analysis;
using Xunit;

namespace RagTune.Knowledge.Tests.Analysis;

public sealed class JiebaSegmenterTests
{
    private sealed record Case(string Text, string[] Cut, string[] Search);

    private static JsonElement Golden()
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(JiebaFixture.TestData("jieba", "jieba_golden.json")));
        return doc.RootElement.Clone();
    }

    private static List<Case> Cases(JsonElement root, string name) =>
        root.GetProperty(name).EnumerateArray().Select(c => new Case(
            c.GetProperty("text").GetString()!,
            c.GetProperty("cut").EnumerateArray().Select(x => x.GetString()!).ToArray(),
            c.GetProperty("search").EnumerateArray().Select(x => x.GetString()!).ToArray())).ToList();

    private static void AssertAllMatch(JiebaSegmenter seg, List<Case> cases)
    {
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var cut = seg.Cut(c.Text);
            if (!cut.SequenceEqual(c.Cut)) failures.Add($"cut  {c.Text}\n  want {string.Join("/", c.Cut)}\n  got  {string.Join("/", cut)}");
            var search = seg.CutForSearch(c.Text);
            if (!search.SequenceEqual(c.Search)) failures.Add($"search {c.Text}\n  want {string.Join("/", c.Search)}\n  got  {string.Join("/", search)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Dictionary_total_matches_jieba()
    {
        Assert.Equal(Golden().GetProperty("total").GetInt64(), JiebaFixture.Shared.Total);
    }

    [Fact]
    public void Cut_and_cut_for_search_match_jieba_on_all_golden_sentences()
    {
        var cases = Cases(Golden(), "cases");
        Assert.True(cases.Count >= 200);
        AssertAllMatch(new JiebaSegmenter(JiebaFixture.Shared), cases);
    }

    [Fact]
    public void Cut_without_hmm_matches_jieba()
    {
        var seg = new JiebaSegmenter(JiebaFixture.Shared);
        var failures = new List<string>();
        foreach (var c in Golden().GetProperty("cases").EnumerateArray())
        {
            string text = c.GetProperty("text").GetString()!;
            var want = c.GetProperty("cut_no_hmm").EnumerateArray().Select(x => x.GetString()!).ToArray();
            var got = seg.Cut(text, hmm: false);
            if (!got.SequenceEqual(want)) failures.Add($"{text}\n  want {string.Join("/", want)}\n  got  {string.Join("/", got)}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void User_dictionary_and_added_words_match_jieba()
    {
        var root = Golden();
        string path = Path.Combine(Path.GetTempPath(), $"ragtune-userdict-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, root.GetProperty("user_dictionary").GetString());
        try
        {
            var dict = JiebaFixture.Shared.Clone();
            dict.LoadUserDictionary(path);
            foreach (var added in root.GetProperty("added_words").EnumerateObject())
            {
                Assert.Equal(added.Value.GetInt32(), dict.SuggestFrequency(added.Name));
                dict.AddWord(added.Name);
            }
            Assert.Equal(root.GetProperty("user_total").GetInt64(), dict.Total);
            AssertAllMatch(new JiebaSegmenter(dict), Cases(root, "user_cases"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Shared_dictionary_is_read_only_and_clone_is_independent()
    {
        var shared = JiebaDictionary.GetShared(JiebaFixture.DictionaryPath);
        Assert.Same(shared, JiebaDictionary.GetShared(JiebaFixture.DictionaryPath));
        Assert.Throws<InvalidOperationException>(() => shared.AddWord("不存在的词语"));
        Assert.Throws<InvalidOperationException>(() => JiebaDictionary.Embedded.AddWord("不存在的词语"));
        var copy = shared.Clone();
        copy.AddWord("不存在的词语", 10);
        Assert.True(copy.TryGetFrequency("不存在的词语", out int f) && f == 10);
        Assert.False(shared.TryGetFrequency("不存在的词语", out _));
    }

    [Fact]
    public void Shared_dictionary_is_loaded_once_across_threads()
    {
        var instances = new JiebaDictionary[8];
        Parallel.For(0, instances.Length, i => instances[i] = JiebaDictionary.GetShared(JiebaFixture.DictionaryPath));
        Assert.All(instances, d => Assert.Same(instances[0], d));
    }

    [Fact]
    public void Zero_frequency_word_is_forced_apart()
    {
        var dict = JiebaFixture.Shared.Clone();
        var seg = new JiebaSegmenter(dict);
        Assert.Contains("北京", seg.Cut("我爱北京"));
        dict.AddWord("北京", 0);
        Assert.DoesNotContain("北京", seg.Cut("我爱北京"));
    }

    [Fact]
    public void Bad_dictionary_line_names_file_and_line()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ragtune-baddict-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "北京 100 ns\n上海 many ns\n");
        try
        {
            var ex = Assert.Throws<KnowledgeException>(() => JiebaDictionary.Load(path));
            Assert.Contains(path, ex.Message);
            Assert.Contains("line 2", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
