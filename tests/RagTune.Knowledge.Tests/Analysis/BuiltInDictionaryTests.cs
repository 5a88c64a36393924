// The jieba dictionary that ships inside RagTune.Knowledge: it is jieba 0.42.1's dict.txt byte for byte, it is the
// default, a user dictionary extends and overrides it, and Debian's python3-jieba path (recorded by older knowledge
// bases) names it instead of a file.
using System.Security.Cryptography;
using RagTune.Knowledge.Analysis;
using Xunit;

namespace RagTune.Knowledge.Tests.Analysis;

public sealed class BuiltInDictionaryTests
{
    [Fact]
    public void The_embedded_dictionary_is_jieba_0_42_1_dict_txt()
    {
        byte[] bytes = JiebaDictionary.ReadEmbeddedBytes();
        // SHA-256 of /usr/lib/python3/dist-packages/jieba/dict.txt from Debian's python3-jieba 0.42.1-3 (= jieba 0.42.1).
        Assert.Equal("7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8", Convert.ToHexStringLower(SHA256.HashData(bytes)));
        Assert.Equal(349_046, bytes.Count(b => b == (byte)'\n'));
        Assert.True(JiebaDictionary.Embedded.IsEmbedded);
        Assert.Equal(JiebaDictionary.EmbeddedSource, JiebaDictionary.Embedded.Source);
    }

    [Fact]
    public void Default_options_segment_with_the_built_in_dictionary()
    {
        foreach (var mode in new[] { ChineseMode.Auto, ChineseMode.Jieba })
        {
            var analyzer = TextAnalyzerFactory.Create(new AnalyzerOptions { ChineseMode = mode });
            Assert.Equal(ChineseMode.Jieba, analyzer.Options.ChineseMode);
            Assert.Null(analyzer.Options.DictionaryPath);
            // jieba.lcut("我来到北京清华大学") with jieba 0.42.1.
            Assert.Equal(["我", "来到", "北京", "清华大学"], analyzer.Analyze("我来到北京清华大学").Select(t => t.Term));
        }
    }

    [Fact]
    public void The_debian_path_of_older_knowledge_bases_means_the_built_in_dictionary()
    {
        var resolved = TextAnalyzerFactory.Resolve(new AnalyzerOptions { ChineseMode = ChineseMode.Jieba, DictionaryPath = JiebaDictionary.DebianDictionaryPath });
        Assert.Equal(ChineseMode.Jieba, resolved.ChineseMode);
        Assert.Null(resolved.DictionaryPath);
    }

    [Fact]
    public void A_user_dictionary_extends_and_overrides_the_built_in_one()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ragtune-user-{Guid.NewGuid():N}.txt");
        // A new word, and 清华大学 pushed down to frequency 0 (jieba's add_word(w, 0): the HMM must split it).
        File.WriteAllText(path, "拉格调优 10 nz\n清华大学 0\n");
        try
        {
            var withUser = TextAnalyzerFactory.Create(new AnalyzerOptions { UserDictionaryPath = path });
            Assert.Null(withUser.Options.DictionaryPath);
            var terms = withUser.Analyze("拉格调优来到清华大学").Select(t => t.Term).ToList();
            Assert.Contains("拉格调优", terms);
            Assert.DoesNotContain("清华大学", terms);
            Assert.False(JiebaDictionary.Embedded.TryGetFrequency("拉格调优", out _));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
