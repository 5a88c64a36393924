// The default token estimate (hand-counted cases), the tokenizer adapter, and the language guess.
using Xunit;
using RagTune.Engine.Tokenizers;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Tests.Text;

public sealed class TokenCounterTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData("   \n\t", 0)]
    [InlineData("中文分词", 4)]             // one per CJK character
    [InlineData("a", 1)]                   // a word is at least one token
    [InlineData("retrieval", 3)]           // ceil(9 / 4)
    [InlineData("the cat sat", 3)]         // three short words
    [InlineData("12345", 2)]               // ceil(5 / 3)
    [InlineData("...", 2)]                 // ceil(3 / 2)
    [InlineData("RAG系统v2.0!", 8)]         // RAG(1) 系(1) 统(1) v(1) 2(1) .(1) 0(1) !(1)
    [InlineData("𠀀𠀁", 2)]                 // CJK extension B (surrogate pairs) count per character
    public void ApproximateCountsFollowTheDocumentedRules(string text, int expected) =>
        Assert.Equal(expected, ApproximateTokenCounter.Instance.Count(text));

    [Fact]
    public void ApproximateCountIsAdditiveAcrossWhitespace()
    {
        const string a = "Hybrid retrieval combines BM25 with dense vectors.";
        const string b = "混合检索结合了两种方法。";
        var counter = ApproximateTokenCounter.Instance;
        Assert.Equal(counter.Count(a) + counter.Count(b), counter.Count(a + " " + b));
    }

    [Fact]
    public void TokenizerAdapterCountsEncodedIds()
    {
        var counter = new TokenizerTokenCounter(new CharTokenizer());
        Assert.Equal(5, counter.Count("hello"));
        Assert.Equal(0, counter.Count(""));
    }

    [Theory]
    [InlineData("我们使用PostgreSQL数据库存储数据。", "zh")]
    [InlineData("The knowledge base stores chunks and vectors.", "en")]
    [InlineData("The 知识库 stores 分块 and 向量数据.", "mixed")]
    [InlineData("1234 !!", "und")]
    public void LanguageGuessByScript(string text, string expected) => Assert.Equal(expected, LanguageGuesser.Guess(text));

    /// <summary>One id per UTF-16 char: enough to check the adapter calls Encode and counts ids.</summary>
    internal sealed class CharTokenizer : ITokenizer
    {
        public int VocabSize => 65536;
        public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false) => text.Select(c => (int)c).ToArray();
        public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => new(ids.ToArray().Select(i => (char)i).ToArray());
        public IStreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => throw new NotSupportedException();
        public int? TokenToId(string token) => token.Length == 1 ? token[0] : null;
        public string? IdToToken(int id) => ((char)id).ToString();
        public bool IsSpecial(int id) => false;
    }
}
