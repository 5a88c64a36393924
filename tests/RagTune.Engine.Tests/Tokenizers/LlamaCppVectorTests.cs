// llama.cpp's tokenizer vectors (46 edge-case strings per vocabulary), one theory row per string.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class LlamaCppVectorTests
{
    private const string Qwen2File = "ggml-vocab-qwen2.gguf";
    private const string BertFile = "ggml-vocab-bert-bge.gguf";
    private const string Gpt2File = "ggml-vocab-gpt-2.gguf";
    private const string LlamaSpmFile = "ggml-vocab-llama-spm.gguf";

    public static TheoryData<int, string> Qwen2Cases => TokenizerTestData.Cases("qwen2", Qwen2File);
    public static TheoryData<int, string> BertCases => TokenizerTestData.Cases("wordpiece-uncased", BertFile);
    public static TheoryData<int, string> Gpt2Cases => TokenizerTestData.Cases("gpt2", Gpt2File);
    public static TheoryData<int, string> LlamaSpmCases => TokenizerTestData.Cases("llama-spm", LlamaSpmFile);

    private static readonly Lazy<TokenizerBase> BertFromVocabTxt = new(() =>
    {
        // The vocab.txt-only path: a folder without tokenizer.json.
        using var dir = new TempDirectory();
        foreach (string f in new[] { "vocab.txt", "tokenizer_config.json" })
            File.Copy(TokenizerTestData.PathOf("wordpiece-uncased", f), Path.Combine(dir.Path, f));
        return Tokenizer.Load(dir.Path);
    });

    [Fact]
    public void EveryVectorFileHas46Cases()
    {
        Assert.Equal(46, TokenizerTestData.Vectors("qwen2", Qwen2File).Count);
        Assert.Equal(46, TokenizerTestData.Vectors("wordpiece-uncased", BertFile).Count);
        Assert.Equal(46, TokenizerTestData.Vectors("gpt2", Gpt2File).Count);
        Assert.Equal(46, TokenizerTestData.Vectors("llama-spm", LlamaSpmFile).Count);
    }

    [Theory, MemberData(nameof(Qwen2Cases))]
    public void Qwen2VocabJsonAndMerges(int index, string display) =>
        Check(TokenizerTestData.Qwen2, "qwen2", Qwen2File, index, display);

    [Theory, MemberData(nameof(BertCases))]
    public void BertTokenizerJson(int index, string display) =>
        Check(TokenizerTestData.BertJson, "wordpiece-uncased", BertFile, index, display);

    [Theory, MemberData(nameof(BertCases))]
    public void BertVocabTxt(int index, string display) =>
        Check(BertFromVocabTxt.Value, "wordpiece-uncased", BertFile, index, display);

    [Theory, MemberData(nameof(Gpt2Cases))]
    public void Gpt2FromGguf(int index, string display) =>
        Check(TokenizerTestData.Gpt2Gguf, "gpt2", Gpt2File, index, display);

    [Theory, MemberData(nameof(LlamaSpmCases))]
    public void LlamaSentencePieceFromGguf(int index, string display) =>
        Check(TokenizerTestData.LlamaSpmGguf, "llama-spm", LlamaSpmFile, index, display);

    [Theory, MemberData(nameof(LlamaSpmCases))]
    public void LlamaSentencePieceDecodeRoundTrips(int index, string display) =>
        RoundTrip(TokenizerTestData.LlamaSpmGguf, "llama-spm", LlamaSpmFile, index, display);

    [Theory, MemberData(nameof(Qwen2Cases))]
    public void Qwen2DecodeRoundTrips(int index, string display) =>
        RoundTrip(TokenizerTestData.Qwen2, "qwen2", Qwen2File, index, display);

    [Theory, MemberData(nameof(Gpt2Cases))]
    public void Gpt2DecodeRoundTrips(int index, string display) =>
        RoundTrip(TokenizerTestData.Gpt2Gguf, "gpt2", Gpt2File, index, display);

    private static void RoundTrip(ITokenizer tokenizer, string folder, string file, int index, string display)
    {
        _ = display;
        var (text, _) = TokenizerTestData.Vectors(folder, file)[index];
        Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    private static void Check(ITokenizer tokenizer, string folder, string file, int index, string display)
    {
        _ = display;
        var (text, expected) = TokenizerTestData.Vectors(folder, file)[index];
        int[] actual = tokenizer.Encode(text, addSpecialTokens: false, parseSpecial: false);
        Assert.Equal(string.Join(' ', expected), string.Join(' ', actual));
    }
}
