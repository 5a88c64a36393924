// The analyzer pipeline: word rules, NFKC/full-width folding with original offsets, bigrams, jieba, stop words, options.
using System.Text;
using RagTune.Knowledge.Analysis;
using Xunit;

namespace RagTune.Knowledge.Tests.Analysis;

public sealed class TextAnalyzerTests
{
    private static TextAnalyzer Bigram(bool stop = false) => TextAnalyzerFactory.Create(new AnalyzerOptions { ChineseMode = ChineseMode.Bigram, StopWords = stop });

    private static TextAnalyzer Jieba(bool search = false, bool stop = false) =>
        TextAnalyzerFactory.Create(new AnalyzerOptions { ChineseMode = ChineseMode.Jieba, SearchMode = search, StopWords = stop });

    private static string[] Terms(ITextAnalyzer a, string text) => a.Analyze(text).Select(t => t.Term).ToArray();

    [Fact]
    public void English_word_rules_and_case_folding()
    {
        Assert.Equal(
            ["don't", "stop", "believing", "u.s.a", "costs", "3.14", "or", "1,000", "cafés", "state", "of", "the", "art", "mp3", "snake_case"],
            Terms(Bigram(), "Don't STOP-believing: U.S.A. costs 3.14 or 1,000 cafés; state-of-the-art MP3 snake_case."));
    }

    [Fact]
    public void Full_width_text_is_folded_and_offsets_point_into_the_original()
    {
        const string text = "ＡＢＣ１２３　Ｈｅｌｌｏ";
        var tokens = Bigram().Analyze(text);
        Assert.Equal(["abc123", "hello"], tokens.Select(t => t.Term));
        Assert.Equal((0, 6), (tokens[0].Start, tokens[0].End));
        Assert.Equal((7, 12), (tokens[1].Start, tokens[1].End));
        Assert.Equal([0, 1], tokens.Select(t => t.Position));
    }

    [Fact]
    public void Ligatures_map_back_to_the_single_source_char()
    {
        var tokens = Bigram().Analyze("ﬁne");
        Assert.Equal("fine", tokens.Single().Term);
        Assert.Equal((0, 3), (tokens[0].Start, tokens[0].End));
    }

    [Fact]
    public void Bigram_mode_emits_overlapping_bigrams_and_lone_unigrams()
    {
        var tokens = Bigram().Analyze("北京大学 我 Go语言");
        Assert.Equal(["北京", "京大", "大学", "我", "go", "语言"], tokens.Select(t => t.Term));
        Assert.Equal([(0, 2), (1, 3), (2, 4), (5, 6), (7, 9), (9, 11)], tokens.Select(t => (t.Start, t.End)));
    }

    [Fact]
    public void Bigrams_span_kana_and_supplementary_ideographs()
    {
        Assert.Equal(["𠮷野", "野家"], Terms(Bigram(), "𠮷野家"));
        Assert.Equal(["カタ", "タカ", "カナ"], Terms(Bigram(), "カタカナ"));
    }

    [Fact]
    public void Jieba_mode_segments_words_and_search_mode_adds_subwords()
    {
        Assert.Equal(["我", "来到", "北京", "清华大学"], Terms(Jieba(), "我来到北京清华大学"));
        var search = Jieba(search: true).Analyze("我来到北京清华大学");
        Assert.Equal(["我", "来到", "北京", "清华", "华大", "大学", "清华大学"], search.Select(t => t.Term));
        Assert.Equal([0, 1, 2, 3, 3, 3, 3], search.Select(t => t.Position));
        var tokens = Jieba().Analyze("iPhone手机，很好用！");
        Assert.Equal(["iphone", "手机", "很", "好", "用"], tokens.Select(t => t.Term)); // jieba.lcut gives 很/好/用 too
        Assert.Equal((6, 8), (tokens[1].Start, tokens[1].End));
    }

    [Fact]
    public void Stop_words_are_removed_but_keep_their_position()
    {
        var tokens = Jieba(stop: true).Analyze("我们的模型 is the best");
        Assert.Equal(["模型", "best"], tokens.Select(t => t.Term));
        Assert.Equal([2, 5], tokens.Select(t => t.Position));
        Assert.Contains("the", StopWordList.Default);
        Assert.Contains("的", StopWordList.Default);
    }

    [Fact]
    public void Every_token_maps_back_to_its_source_text()
    {
        const string text = "Ｐｙｔｈｏｎ３和C#都是编程语言；AT&T是一家公司。Straße “quoted” 𠮷野家";
        foreach (var mode in new[] { Jieba(), Bigram() })
            foreach (var t in mode.Analyze(text))
            {
                string source = text[t.Start..t.End].Normalize(NormalizationForm.FormKC).ToLowerInvariant();
                Assert.Contains(t.Term, source);
            }
    }

    [Fact]
    public void Lone_surrogates_do_not_break_analysis()
    {
        var tokens = Bigram().Analyze("abc\uD800def \uDC00北京");
        Assert.Equal(["abc", "def", "北京"], tokens.Select(t => t.Term));
        Assert.Equal((9, 11), (tokens[2].Start, tokens[2].End));
    }

    [Fact]
    public void Auto_resolves_to_jieba_over_a_given_dictionary_file()
    {
        var auto = TextAnalyzerFactory.Create(new AnalyzerOptions { DictionaryPath = JiebaFixture.DictionaryPath });
        Assert.Equal(ChineseMode.Jieba, auto.Options.ChineseMode);
        Assert.Equal(Path.GetFullPath(JiebaFixture.DictionaryPath), auto.Options.DictionaryPath);
    }

    [Fact]
    public void Missing_dictionary_path_is_a_clear_error()
    {
        var ex = Assert.Throws<KnowledgeException>(() => TextAnalyzerFactory.Create(new AnalyzerOptions { DictionaryPath = "/nonexistent/dict.txt" }));
        Assert.Contains("/nonexistent/dict.txt", ex.Message);
    }

    [Fact]
    public void Analyzer_over_a_dictionary_with_added_words()
    {
        var dict = JiebaFixture.Shared.Clone();
        dict.AddWord("拉格调优");
        var analyzer = TextAnalyzerFactory.Create(new AnalyzerOptions(), dict);
        Assert.Equal(["拉格调优", "很", "好"], Terms(analyzer, "拉格调优很好"));
    }

    [Fact]
    public void User_dictionary_words_are_kept_whole()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ragtune-user-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "拉格调优 10 nz\n");
        try
        {
            Assert.DoesNotContain("拉格调优", Terms(Jieba(), "拉格调优很好"));
            var withUser = TextAnalyzerFactory.Create(new AnalyzerOptions { ChineseMode = ChineseMode.Jieba, UserDictionaryPath = path });
            Assert.Contains("拉格调优", Terms(withUser, "拉格调优很好"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
