// Byte-level BPE beyond the vectors: special tokens, streaming decode, ignore_merges, generic tiny tokenizer.json files.
using System.Text.Json;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class ByteLevelBpeTests
{
    private const int EndOfText = 151643, ImStart = 151644, ImEnd = 151645;

    [Fact]
    public void Qwen2SpecialIdsAndAddedTokensComeFromTokenizerConfig()
    {
        var tokenizer = TokenizerTestData.Qwen2;
        Assert.Equal(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        Assert.Equal(EndOfText, tokenizer.EosId);
        Assert.Equal(EndOfText, tokenizer.PadId);
        Assert.Null(tokenizer.BosId);
        Assert.Equal(["<|endoftext|>", "<|im_start|>", "<|im_end|>"], tokenizer.AddedTokens.Select(t => t.Content));
        Assert.Equal(151646, tokenizer.VocabSize);
        Assert.True(tokenizer.IsSpecial(ImEnd));
        Assert.False(tokenizer.IsSpecial(9707));
        Assert.Equal(ImStart, tokenizer.TokenToId("<|im_start|>"));
        Assert.Equal("<|im_end|>", tokenizer.IdToToken(ImEnd));
        Assert.Equal("Hello", tokenizer.IdToToken(9707));
    }

    [Fact]
    public void SpecialTokensAreSplitOutOnlyWhenParsingIsAsked()
    {
        var tokenizer = TokenizerTestData.Qwen2;
        const string text = "<|im_start|>user\nHi<|im_end|>";

        int[] plain = tokenizer.Encode(text, parseSpecial: false);
        Assert.DoesNotContain(ImStart, plain);
        Assert.DoesNotContain(ImEnd, plain);
        Assert.True(plain.Length > 6, $"the markers should become several ordinary tokens, got {plain.Length} ids");
        Assert.Equal(text, tokenizer.Decode(plain));

        int[] parsed = tokenizer.Encode(text, parseSpecial: true);
        int[] expected = [ImStart, .. tokenizer.Encode("user\nHi"), ImEnd];
        Assert.Equal(expected, parsed);
        Assert.Equal(text, tokenizer.Decode(parsed));
        Assert.Equal("user\nHi", tokenizer.Decode(parsed, skipSpecialTokens: true));
    }

    [Fact]
    public void Qwen2NormalizesToNfcFirst()
    {
        // Qwen2Tokenizer applies NFC: a decomposed "é" (e + U+0301) encodes like the precomposed one.
        var tokenizer = TokenizerTestData.Qwen2;
        Assert.Equal(tokenizer.Encode("caf\u00E9"), tokenizer.Encode("cafe\u0301"));
        Assert.NotEqual(TokenizerTestData.Gpt2Gguf.Encode("caf\u00E9"), TokenizerTestData.Gpt2Gguf.Encode("cafe\u0301"));
    }

    [Fact]
    public void StreamingDecodeHoldsBackAChineseCharacterSplitAcrossByteTokens()
    {
        var tokenizer = TokenizerTestData.Qwen2;
        // "我" is E6 88 91 in UTF-8; feed its three single-byte tokens one by one.
        int[] byteIds = new byte[] { 0xE6, 0x88, 0x91 }
            .Select(b => tokenizer.TokenToId(ByteLevelAlphabet.ByteToChar[b].ToString())!.Value).ToArray();
        var decoder = tokenizer.CreateStreamingDecoder();
        Assert.Equal("", decoder.Add(byteIds[0]));
        Assert.Equal("", decoder.Add(byteIds[1]));
        Assert.Equal("我", decoder.Add(byteIds[2]));
        Assert.Equal("", decoder.Flush());
        Assert.Equal("我", tokenizer.Decode(byteIds));
    }

    [Fact]
    public void StreamingDecodeOfEveryVectorStringEqualsTheWholeDecode()
    {
        var tokenizer = TokenizerTestData.Qwen2;
        foreach (var (text, ids) in TokenizerTestData.Vectors("qwen2", "ggml-vocab-qwen2.gguf"))
        {
            var decoder = tokenizer.CreateStreamingDecoder();
            var streamed = new System.Text.StringBuilder();
            foreach (int id in ids) streamed.Append(decoder.Add(id));
            streamed.Append(decoder.Flush());
            Assert.Equal(text, streamed.ToString());
        }
    }

    [Fact]
    public void FlushTurnsAnUnfinishedSequenceIntoReplacementCharacter()
    {
        var tokenizer = TokenizerTestData.Qwen2;
        int e6 = tokenizer.TokenToId(ByteLevelAlphabet.ByteToChar[0xE6].ToString())!.Value;
        var decoder = tokenizer.CreateStreamingDecoder();
        Assert.Equal("", decoder.Add(e6));
        Assert.Equal("\uFFFD", decoder.Flush());
        Assert.Equal("\uFFFD", tokenizer.Decode([e6]));
    }

    [Fact]
    public void IdsOutsideTheVocabularyDecodeToNothing()
    {
        // Qwen2 checkpoints pad the embedding table to 151936 rows; sampling an unused row must not crash decoding.
        var tokenizer = TokenizerTestData.Qwen2;
        Assert.Equal("Hello", tokenizer.Decode([9707, 151900, -1]));
        Assert.Null(tokenizer.IdToToken(151900));
    }

    [Fact]
    public void EncodingFromManyThreadsGivesTheSameIds()
    {
        var tokenizer = TokenizerTestData.Qwen2;
        var vectors = TokenizerTestData.Vectors("qwen2", "ggml-vocab-qwen2.gguf");
        Parallel.For(0, 200, i =>
        {
            var (text, ids) = vectors[i % vectors.Count];
            Assert.Equal(ids, tokenizer.Encode(text));
        });
    }

    // A tiny tokenizer.json shaped like the ones tiny test checkpoints ship: Split(Qwen2 regex) + ByteLevel(use_regex
    // false), ByteLevel decoder, ChatML specials. Vocabulary: the 256 byte characters (id = byte value), then
    // "ab" 256, "Ġab" 257, "abc" 258 (no merge produces "abc"), specials 259..261.
    private static string TinyByteLevelJson(bool ignoreMerges)
    {
        var vocab = new Dictionary<string, int>();
        for (int b = 0; b < 256; b++) vocab[ByteLevelAlphabet.ByteToChar[b].ToString()] = b;
        vocab["ab"] = 256;
        vocab["Ġab"] = 257;
        vocab["abc"] = 258;
        var added = new[] { "<|endoftext|>", "<|im_start|>", "<|im_end|>" }.Select((c, i) => new
        {
            id = 259 + i, content = c, single_word = false, lstrip = false, rstrip = false, normalized = false, special = true,
        });
        var doc = new
        {
            version = "1.0",
            added_tokens = added,
            normalizer = (object?)null,
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = PreTokenizerPatterns.Qwen2 }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
                },
            },
            post_processor = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
            decoder = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
            model = new
            {
                type = "BPE", dropout = (object?)null, unk_token = (object?)null, continuing_subword_prefix = "",
                end_of_word_suffix = "", fuse_unk = false, byte_fallback = false, ignore_merges = ignoreMerges,
                vocab, merges = new[] { new[] { "a", "b" }, new[] { "Ġ", "ab" } },
            },
        };
        return JsonSerializer.Serialize(doc);
    }

    [Fact]
    public void IgnoreMergesEmitsAPieceThatIsInTheVocabularyWhole()
    {
        using var dir = new TempDirectory();
        var llama3Style = Tokenizer.FromTokenizerJson(dir.Write("tokenizer.json", TinyByteLevelJson(ignoreMerges: true)));
        // "abc" is one vocabulary entry although no merge builds it; " abd" still goes through the merges.
        Assert.Equal([258, 257, 'd'], llama3Style.Encode("abc abd"));
        Assert.True(((ByteLevelBpeTokenizer)llama3Style).IgnoreMerges);
    }

    [Fact]
    public void WithoutIgnoreMergesThePieceIsMerged()
    {
        using var dir = new TempDirectory();
        var tokenizer = Tokenizer.FromTokenizerJson(dir.Write("tokenizer.json", TinyByteLevelJson(ignoreMerges: false)));
        Assert.Equal([256, 'c', 257, 'd'], tokenizer.Encode("abc abd"));
    }

    [Fact]
    public void TinyCheckpointTokenizerJsonLoadsFromAFolder()
    {
        using var dir = new TempDirectory();
        dir.Write("tokenizer.json", TinyByteLevelJson(ignoreMerges: false));
        var tokenizer = Tokenizer.Load(dir.Path);
        Assert.Equal(TokenizerKind.ByteLevelBpe, tokenizer.Kind);
        Assert.Equal(262, tokenizer.VocabSize);
        Assert.Equal(259, tokenizer.EosId);
        // Qwen2 regex: "<|im_start|>" unparsed is "<|", "im", "_start", "|>"; parsed it is one id.
        Assert.Equal([260, 256, 'c', 261], tokenizer.Encode("<|im_start|>abc<|im_end|>", parseSpecial: true));
        int[] unparsed = tokenizer.Encode("<|im_start|>", parseSpecial: false);
        Assert.Equal("<|im_start|>".Select(c => (int)c), unparsed);
        Assert.Equal("<|im_start|>abc<|im_end|>", tokenizer.Decode([260, 256, 'c', 261]));
        Assert.Equal("abc", tokenizer.Decode([260, 256, 'c', 261], skipSpecialTokens: true));
        // A space (byte 0x20) is the alphabet character Ġ (U+0120), so " " alone is id 32.
        Assert.Equal([32], tokenizer.Encode(" "));
    }

    [Fact]
    public void SpecialIdsComeFromTokenizerConfigThenSpecialTokensMap()
    {
        using var dir = new TempDirectory();
        dir.Write("tokenizer.json", TinyByteLevelJson(ignoreMerges: false));
        dir.Write("special_tokens_map.json", """{"eos_token": "<|im_end|>", "pad_token": {"content": "<|endoftext|>"}}""");
        var fromMap = Tokenizer.Load(dir.Path);
        Assert.Equal((261, 259), (fromMap.EosId!.Value, fromMap.PadId!.Value));

        dir.Write("tokenizer_config.json", """{"eos_token": "<|im_start|>"}""");
        var fromConfig = Tokenizer.Load(dir.Path);
        Assert.Equal((260, 259), (fromConfig.EosId!.Value, fromConfig.PadId!.Value));
    }

    [Fact]
    public void AddedTokenWithLStripAndRStripAbsorbsSurroundingSpaces()
    {
        using var dir = new TempDirectory();
        var doc = JsonNodeOf(TinyByteLevelJson(false));
        doc["added_tokens"]![1]!["lstrip"] = true;
        doc["added_tokens"]![1]!["rstrip"] = true;
        var tokenizer = Tokenizer.FromTokenizerJson(dir.Write("tokenizer.json", doc.ToJsonString()));
        Assert.Equal([256, 260, 256], tokenizer.Encode("ab  <|im_start|> ab", parseSpecial: true));
    }

    private static System.Text.Json.Nodes.JsonNode JsonNodeOf(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!;
}
