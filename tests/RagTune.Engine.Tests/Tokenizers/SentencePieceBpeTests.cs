// SentencePiece-style BPE as LLaMA-2's tokenizer.json describes it, on a hand-built vocabulary with hand-derived ids.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class SentencePieceBpeTests
{
    // Ids: <unk> 0, <s> 1, </s> 2, <0x00>..<0xFF> 3..258, then the pieces below from 259.
    private static readonly string[] Pieces = ["▁", "h", "e", "l", "o", "w", "r", "d", "he", "ll", "▁he", "llo", "▁hello", "or", "▁w", "▁wor"];
    private static int Id(string piece) => 259 + Array.IndexOf(Pieces, piece);
    private static int ByteId(int b) => 3 + b;

    private static string Json(bool byteFallback)
    {
        var vocab = new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = ByteId(b);
        foreach (var p in Pieces) vocab[p] = Id(p);
        return Llama2StyleJson.Build(vocab, ["h e", "l l", "▁ he", "ll o", "▁he llo", "o r", "▁ w", "▁w or"], byteFallback);
    }

    private static TokenizerBase Load(bool byteFallback = true)
    {
        using var dir = new TempDirectory();
        return Tokenizer.FromTokenizerJson(dir.Write("tokenizer.json", Json(byteFallback)));
    }

    [Fact]
    public void MergesFollowRankOrderAcrossTheWholeSentence()
    {
        // ▁hello▁world: he, ll, ▁he, llo, ▁hello, or, ▁w, ▁wor → ▁hello ▁wor l d.
        var tokenizer = Load();
        Assert.Equal(TokenizerKind.SentencePieceBpe, tokenizer.Kind);
        Assert.Equal([Id("▁hello"), Id("▁wor"), Id("l"), Id("d")], tokenizer.Encode("hello world"));
    }

    [Fact]
    public void PostProcessorAddsBos()
    {
        var tokenizer = Load();
        Assert.Equal([1, Id("▁he")], tokenizer.Encode("he", addSpecialTokens: true));
        Assert.Equal(1, tokenizer.BosId);
        Assert.Equal(2, tokenizer.EosId);
        Assert.Equal(0, tokenizer.UnkId);
        Assert.Equal([1], tokenizer.PrefixIds);
    }

    [Fact]
    public void CharacterOutsideTheVocabularyFallsBackToItsUtf8Bytes()
    {
        var tokenizer = Load();
        // "€" = E2 82 AC.
        int[] ids = tokenizer.Encode("he€");
        Assert.Equal([Id("▁he"), ByteId(0xE2), ByteId(0x82), ByteId(0xAC)], ids);
        Assert.Equal("he€", tokenizer.Decode(ids));
    }

    [Fact]
    public void WithoutByteFallbackUnknownCharactersBecomeOneFusedUnk()
    {
        var tokenizer = Load(byteFallback: false);
        Assert.Equal([Id("▁he"), 0, Id("o")], tokenizer.Encode("he€€o"));
    }

    [Fact]
    public void DecodeStripsTheLeadingSpaceTheNormalizerAdded()
    {
        var tokenizer = Load();
        int[] ids = [1, Id("▁hello"), Id("▁wor"), Id("l"), Id("d")];
        Assert.Equal("hello world", tokenizer.Decode(ids, skipSpecialTokens: true));
        Assert.Equal("<s> hello world", tokenizer.Decode(ids));
    }

    [Fact]
    public void StreamingDecodeJoinsByteTokensAndStripsOnlyTheFirstSpace()
    {
        var tokenizer = Load();
        var decoder = tokenizer.CreateStreamingDecoder(skipSpecialTokens: true);
        Assert.Equal("", decoder.Add(1));
        Assert.Equal("he", decoder.Add(Id("▁he")));
        Assert.Equal("", decoder.Add(ByteId(0xE2)));
        Assert.Equal("", decoder.Add(ByteId(0x82)));
        Assert.Equal("€", decoder.Add(ByteId(0xAC)));
        Assert.Equal(" wor", decoder.Add(Id("▁wor")));
    }

    [Fact]
    public void SpecialTokensInTextNeedParsing()
    {
        var tokenizer = Load();
        Assert.Equal([1, Id("▁he")], tokenizer.Encode("<s>he", parseSpecial: true));
        Assert.DoesNotContain(1, tokenizer.Encode("<s>he", parseSpecial: false));
    }
}
