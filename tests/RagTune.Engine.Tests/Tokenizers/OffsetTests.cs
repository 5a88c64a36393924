// Token offsets: the same ids as Encode, ranges that walk the input without gaps (byte-level, SentencePiece) and
// hand-checked ranges for each tokenizer kind.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class OffsetTests
{
    public static TheoryData<string> GaplessTokenizers => new() { "qwen2", "gpt2", "llama-spm" };

    private static TokenizerBase ByName(string name) => name switch
    {
        "qwen2" => TokenizerTestData.Qwen2,
        "gpt2" => TokenizerTestData.Gpt2Gguf,
        "llama-spm" => TokenizerTestData.LlamaSpmGguf,
        _ => TokenizerTestData.BertJson,
    };

    [Theory, MemberData(nameof(GaplessTokenizers))]
    public void OffsetsCoverEveryVectorStringInOrderWithoutGaps(string name)
    {
        var tokenizer = ByName(name);
        foreach (var (text, _) in TokenizerTestData.Vectors("qwen2", "ggml-vocab-qwen2.gguf"))
        {
            var encoded = tokenizer.EncodeWithOffsets(text);
            Assert.Equal(tokenizer.Encode(text), encoded.Ids);
            if (encoded.Ids.Length == 0) continue;
            Assert.Equal(0, encoded.Offsets[0].Start);
            Assert.Equal(text.Length, encoded.Offsets[^1].End);
            for (int i = 1; i < encoded.Offsets.Length; i++)
            {
                var (prev, cur) = (encoded.Offsets[i - 1], encoded.Offsets[i]);
                // Byte tokens of one character share its range; otherwise each token starts where the last ended.
                Assert.True(cur.Start >= prev.Start && cur.End >= prev.End && cur.Start <= prev.End,
                    $"{name}: token {i} of \"{text}\" has {cur} after {prev}");
            }
        }
    }

    [Fact]
    public void WordPieceOffsetsPointAtTheOriginalSpelling()
    {
        var tokenizer = TokenizerTestData.BertJson;
        const string text = "Héllo,  世界!";
        var encoded = tokenizer.EncodeWithOffsets(text, addSpecialTokens: true);
        Assert.Equal(tokenizer.Encode(text, addSpecialTokens: true), encoded.Ids);
        Assert.Equal([(0, 0), (0, 5), (5, 6), (8, 9), (9, 10), (10, 11), (11, 11)], encoded.Offsets);
        Assert.Equal("Héllo", text[encoded.Offsets[1].Start..encoded.Offsets[1].End]);
    }

    [Fact]
    public void WordPieceContinuationsAndUnknownWords()
    {
        var tokenizer = TokenizerTestData.BertJson;
        const string text = "tokenization 🦙x";
        var encoded = tokenizer.EncodeWithOffsets(text);
        Assert.Equal(tokenizer.Encode(text), encoded.Ids);
        // "token" + "##ization"; the emoji word cannot be covered, so [UNK] spans all of it.
        Assert.Equal([(0, 5), (5, 12), (13, 16)], encoded.Offsets);
    }

    [Fact]
    public void ByteLevelOffsetsWithSpecialTokensParsed()
    {
        var tokenizer = TokenizerTestData.Qwen2;
        const string text = "<|im_start|>user\n你好<|im_end|>";
        var encoded = tokenizer.EncodeWithOffsets(text, parseSpecial: true);
        Assert.Equal(tokenizer.Encode(text, parseSpecial: true), encoded.Ids);
        Assert.Equal((0, 12), encoded.Offsets[0]);
        Assert.Equal((text.Length - 10, text.Length), encoded.Offsets[^1]);
        Assert.Equal("user", text[encoded.Offsets[1].Start..encoded.Offsets[1].End]);
    }

    [Fact]
    public void SentencePieceOffsetsIncludeTheReplacedSpaceButNotThePrependedOne()
    {
        var tokenizer = TokenizerTestData.LlamaSpmGguf;
        var encoded = tokenizer.EncodeWithOffsets("Hello world", addSpecialTokens: true);
        Assert.Equal([1, 15043, 3186], encoded.Ids);
        // "▁Hello": the "▁" was prepended, so it covers only "Hello"; "▁world" covers " world".
        Assert.Equal([(0, 0), (0, 5), (5, 11)], encoded.Offsets);
    }
}
