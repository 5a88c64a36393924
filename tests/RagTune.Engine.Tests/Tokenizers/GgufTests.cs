// GGUF metadata reading (every value type, errors) and tokenizers built from GGUF metadata ("gpt2", "llama", "bert").
using RagTune.Engine.Formats;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class GgufTests
{
    [Fact]
    public void ReadsEveryValueTypeIncludingNestedArrays()
    {
        var writer = new GgufTestWriter()
            .Add("u8", GgufValueType.UInt8, (byte)200).Add("i8", GgufValueType.Int8, (sbyte)-5)
            .Add("u16", GgufValueType.UInt16, (ushort)65000).Add("i16", GgufValueType.Int16, (short)-300)
            .Add("u32", GgufValueType.UInt32, 4_000_000_000u).Add("i32", GgufValueType.Int32, -7)
            .Add("f32", GgufValueType.Float32, 1.5f).Add("bool", GgufValueType.Bool, true)
            .Add("str", GgufValueType.String, "héllo").Add("u64", GgufValueType.UInt64, ulong.MaxValue)
            .Add("i64", GgufValueType.Int64, long.MinValue).Add("f64", GgufValueType.Float64, -2.25)
            .Strings("strs", ["a", "", "中"]).Int32s("ints", [1, -2, 3]).Float32s("floats", [0.5f])
            .Add("nested", GgufValueType.Array, (GgufValueType.Array, new object[] { (GgufValueType.UInt8, new object[] { (byte)1, (byte)2 }) }));
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "all.gguf");
        File.WriteAllBytes(path, writer.ToBytes(version: 2));

        var gguf = GgufFile.Read(path);
        Assert.Equal(2u, gguf.Version);
        Assert.Equal((byte)200, gguf.Metadata["u8"]);
        Assert.Equal((sbyte)-5, gguf.Metadata["i8"]);
        Assert.Equal((ushort)65000, gguf.Metadata["u16"]);
        Assert.Equal((short)-300, gguf.Metadata["i16"]);
        Assert.Equal(4_000_000_000u, gguf.Metadata["u32"]);
        Assert.Equal(-7, gguf.Metadata["i32"]);
        Assert.Equal(1.5f, gguf.Metadata["f32"]);
        Assert.Equal(true, gguf.Metadata["bool"]);
        Assert.Equal("héllo", gguf.GetString("str"));
        Assert.Equal(ulong.MaxValue, gguf.Metadata["u64"]);
        Assert.Equal(long.MinValue, gguf.Metadata["i64"]);
        Assert.Equal(-2.25, gguf.Metadata["f64"]);
        Assert.Equal(["a", "", "中"], gguf.GetStringArray("strs"));
        Assert.Equal([1, -2, 3], gguf.GetInt32ArrayOrNull("ints")!);
        Assert.Equal([0.5f], gguf.GetFloat32ArrayOrNull("floats")!);
        Assert.Equal(new byte[] { 1, 2 }, Assert.IsType<byte[]>(Assert.IsType<object[]>(gguf.Metadata["nested"])[0]));
        Assert.Equal(4_000_000_000L, gguf.GetIntegerOrNull("u32"));
        Assert.Equal(GgufValueType.Array, gguf.MetadataTypes["strs"]);
        Assert.Empty(gguf.Tensors);
    }

    [Fact]
    public void ReadsTheGpt2VocabularyFile()
    {
        var gguf = GgufFile.Read(TokenizerTestData.PathOf("gpt2", "ggml-vocab-gpt-2.gguf"));
        Assert.Equal(3u, gguf.Version);
        Assert.Equal("gpt2", gguf.GetString("tokenizer.ggml.model"));
        Assert.Equal("gpt-2", gguf.GetString("tokenizer.ggml.pre"));
        Assert.Equal(50257, gguf.GetStringArray("tokenizer.ggml.tokens").Length);
        Assert.Equal(50000, gguf.GetStringArray("tokenizer.ggml.merges").Length);
        Assert.Equal(12u, gguf.Metadata["gpt2.block_count"]);

        var tokenizer = TokenizerTestData.Gpt2Gguf;
        Assert.Equal(50256, tokenizer.EosId);
        Assert.Equal(50256, tokenizer.BosId);
        Assert.Equal(50257, tokenizer.VocabSize);
    }

    [Fact]
    public void BadMagicTruncationAndMissingKeysAreNamed()
    {
        using var dir = new TempDirectory();
        string notGguf = dir.Write("x.gguf", "GGML and more bytes here");
        Assert.Contains("not a GGUF file", Assert.Throws<EngineException>(() => GgufFile.Read(notGguf)).Message);

        byte[] full = new GgufTestWriter().Strings("tokenizer.ggml.tokens", ["a", "b"]).ToBytes();
        string truncated = Path.Combine(dir.Path, "t.gguf");
        File.WriteAllBytes(truncated, full[..^3]);
        var e = Assert.Throws<EngineException>(() => GgufFile.Read(truncated));
        Assert.Contains(truncated, e.Message);
        Assert.Contains("truncated", e.Message);

        string noModel = Path.Combine(dir.Path, "m.gguf");
        File.WriteAllBytes(noModel, full);
        var missing = Assert.Throws<EngineException>(() => Tokenizer.FromGguf(noModel));
        Assert.Contains(noModel, missing.Message);
        Assert.Contains("'tokenizer.ggml.model' is missing", missing.Message);

        // A corrupt element count is refused before anything that large is allocated.
        byte[] corrupt = new GgufTestWriter().Strings("k", ["a"]).ToBytes();
        BitConverter.TryWriteBytes(corrupt.AsSpan(24 + 8 + 1 + 4 + 4, 8), 1UL << 40);
        string huge = Path.Combine(dir.Path, "huge.gguf");
        File.WriteAllBytes(huge, corrupt);
        Assert.Contains("metadata array 'k' has length 1099511627776", Assert.Throws<EngineException>(() => GgufFile.Read(huge)).Message);

        string v1 = Path.Combine(dir.Path, "v1.gguf");
        File.WriteAllBytes(v1, new GgufTestWriter().ToBytes(version: 1));
        Assert.Contains("version 1", Assert.Throws<EngineException>(() => GgufFile.Read(v1)).Message);
    }

    [Fact]
    public void UnknownPreTokenizerNameIsNamed()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "p.gguf");
        File.WriteAllBytes(path, new GgufTestWriter().String("tokenizer.ggml.model", "gpt2").String("tokenizer.ggml.pre", "mystery")
            .Strings("tokenizer.ggml.tokens", ["a", "b", "ab"]).Strings("tokenizer.ggml.merges", ["a b"]).ToBytes());
        var e = Assert.Throws<EngineException>(() => Tokenizer.FromGguf(path));
        Assert.Contains("tokenizer.ggml.pre is \"mystery\"", e.Message);
    }

    [Fact]
    public void LlamaSentencePieceVocabularyMergesByScore()
    {
        // Tokens: <unk> <s> </s>, the 256 byte tokens, then pieces whose scores order the merges.
        var tokens = new List<string> { "<unk>", "<s>", "</s>" };
        var types = new List<int> { 2, 3, 3 };
        for (int b = 0; b < 256; b++) { tokens.Add($"<0x{b:X2}>"); types.Add(6); }
        string[] pieces = ["▁", "h", "e", "l", "o", "he", "ll", "▁he", "llo", "▁hello"];
        float[] pieceScores = [-1, -2, -2, -2, -2, -3, -4, -5, -6, -7];
        tokens.AddRange(pieces);
        types.AddRange(pieces.Select(_ => 1));
        var scores = Enumerable.Repeat(0f, 259).Concat(pieceScores);
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "llama.gguf");
        File.WriteAllBytes(path, new GgufTestWriter().String("tokenizer.ggml.model", "llama")
            .Strings("tokenizer.ggml.tokens", tokens).Float32s("tokenizer.ggml.scores", scores).Int32s("tokenizer.ggml.token_type", types)
            .UInt32("tokenizer.ggml.bos_token_id", 1).UInt32("tokenizer.ggml.eos_token_id", 2).UInt32("tokenizer.ggml.unknown_token_id", 0).ToBytes());

        var tokenizer = Tokenizer.FromGguf(path);
        Assert.Equal(TokenizerKind.SentencePieceBpe, tokenizer.Kind);
        int Id(string piece) => 259 + Array.IndexOf(pieces, piece);
        // Add BOS by default, as llama.cpp does for SentencePiece vocabularies; "i" is not a piece → byte 0x69.
        Assert.Equal([1, Id("▁hello"), Id("▁"), Id("h"), 3 + 0x69], tokenizer.Encode("hello hi", addSpecialTokens: true));
        Assert.Equal("hello hi", tokenizer.Decode(tokenizer.Encode("hello hi", addSpecialTokens: true), skipSpecialTokens: true));
        Assert.True(tokenizer.IsSpecial(2));
    }

    [Fact]
    public void BertVocabularyUndoesLlamaCppPhantomSpaces()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "bert.gguf");
        File.WriteAllBytes(path, new GgufTestWriter().String("tokenizer.ggml.model", "bert")
            .Strings("tokenizer.ggml.tokens", ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "▁hello", "▁world", "s"])
            .Int32s("tokenizer.ggml.token_type", [3, 3, 3, 3, 1, 1, 1])
            .UInt32("tokenizer.ggml.bos_token_id", 2).UInt32("tokenizer.ggml.seperator_token_id", 3)
            .UInt32("tokenizer.ggml.unknown_token_id", 1).UInt32("tokenizer.ggml.padding_token_id", 0).ToBytes());

        var tokenizer = Tokenizer.FromGguf(path);
        Assert.Equal(TokenizerKind.WordPiece, tokenizer.Kind);
        Assert.Equal("##s", tokenizer.IdToToken(6));
        Assert.Equal([2, 4, 5, 6, 1, 3], tokenizer.Encode("Hello WORLDS x", addSpecialTokens: true));
        Assert.Equal("hello worlds", tokenizer.Decode([2, 4, 5, 6, 3], skipSpecialTokens: true));
    }
}
