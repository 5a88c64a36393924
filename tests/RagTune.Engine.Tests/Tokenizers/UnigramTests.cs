// SentencePiece Unigram tokenizers from tokenizer.json against Hugging Face tokenizers and SentencePiece itself
// (tools/reference/make_unigram_tokenizers.py): unigram-nfkc is the XLM-R / bge-m3 layout with the real nmt_nfkc
// charsmap, unigram-bytes today's SpmConverter layout with byte fallback and a user rule table. Bad files get one error
// naming the file and the field.
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class UnigramTests
{
    private static readonly Lazy<TokenizerBase> Nfkc = new(() => Tokenizer.Load(TokenizerTestData.PathOf("unigram-nfkc")));
    private static readonly Lazy<TokenizerBase> Bytes = new(() => Tokenizer.Load(TokenizerTestData.PathOf("unigram-bytes")));

    private static TokenizerBase Load(string name) => name == "unigram-nfkc" ? Nfkc.Value : Bytes.Value;

    private static JsonElement Golden(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.PathOf(name, "golden.json")));
        return doc.RootElement.Clone();
    }

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Theory]
    [InlineData("unigram-nfkc")]
    [InlineData("unigram-bytes")]
    public void Ids_match_hugging_face_for_every_golden_text(string name)
    {
        var golden = Golden(name);
        var tokenizer = Load(name);
        Assert.Equal(TokenizerKind.Unigram, tokenizer.Kind);
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var ids = golden.GetProperty("ids").EnumerateArray().Select(Ints).ToArray();
        var withSpecial = golden.GetProperty("ids_special").EnumerateArray().Select(Ints).ToArray();
        Assert.True(texts.Length >= 50);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(ids[i].SequenceEqual(tokenizer.Encode(texts[i])),
                $"\"{texts[i]}\": expected [{string.Join(", ", ids[i])}], got [{string.Join(", ", tokenizer.Encode(texts[i]))}]");
            Assert.Equal(withSpecial[i], tokenizer.Encode(texts[i], addSpecialTokens: true));
        }
    }

    [Theory]
    [InlineData("unigram-nfkc")]
    [InlineData("unigram-bytes")]
    public void Ids_match_sentencepiece_wherever_hugging_face_does(string name)
    {
        var golden = Golden(name);
        var tokenizer = Load(name);
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var spm = golden.GetProperty("spm_ids").EnumerateArray().Select(Ints).ToArray();
        var agrees = golden.GetProperty("spm_agrees").EnumerateArray().Select(a => a.GetBoolean()).ToArray();
        int compared = 0;
        for (int i = 0; i < texts.Length; i++)
        {
            if (!agrees[i])
            {
                // Hugging Face's XLM-R layout keeps trailing whitespace as a "▁" token; SentencePiece strips it.
                Assert.NotEqual(texts[i], texts[i].TrimEnd());
                continue;
            }
            Assert.Equal(spm[i], tokenizer.Encode(texts[i]));
            compared++;
        }
        Assert.True(compared >= 55, $"only {compared} texts compared with SentencePiece");
    }

    [Theory]
    [InlineData("unigram-nfkc")]  // <s> A </s></s> B </s>, all type 0
    [InlineData("unigram-bytes")] // <s> A </s> B </s>, B and its </s> type 1
    public void Pairs_follow_the_template_of_the_post_processor(string name)
    {
        var golden = Golden(name);
        var tokenizer = Load(name);
        var pairs = golden.GetProperty("pairs").EnumerateArray().Select(p => (p[0].GetString()!, p[1].GetString()!)).ToArray();
        var ids = golden.GetProperty("pair_ids").EnumerateArray().Select(Ints).ToArray();
        var types = golden.GetProperty("pair_type_ids").EnumerateArray().Select(Ints).ToArray();
        Assert.NotNull(tokenizer.Pair);
        for (int i = 0; i < pairs.Length; i++)
        {
            var (gotIds, gotTypes) = tokenizer.Pair!.Apply(tokenizer.Encode(pairs[i].Item1), tokenizer.Encode(pairs[i].Item2));
            Assert.Equal(ids[i], gotIds);
            Assert.Equal(types[i], gotTypes);
        }
    }

    [Fact]
    public void The_nfkc_charsmap_folds_full_width_and_half_width_forms()
    {
        // SentencePiece's nmt_nfkc rules as XLM-R ships them: full-width Latin and digits to ASCII, half-width katakana
        // to full-width, circled digits and ligatures decomposed, the ideographic space to a space. "ﾊﾟ" is one grapheme
        // of 6 UTF-8 bytes, too long for a whole-grapheme rule, so its two code points map one by one to "ハ" and the
        // combining "゚" (U+309A), not to the composed "パ", as Hugging Face does.
        var json = JsonNode.Parse(File.ReadAllText(TokenizerTestData.PathOf("unigram-nfkc", "tokenizer.json")))!;
        byte[] charsmap = Convert.FromBase64String(json["normalizer"]!["normalizers"]![0]!["precompiled_charsmap"]!.GetValue<string>());
        var normalizer = PrecompiledNormalizer.Parse(charsmap, what => new EngineException(what));
        Assert.Equal("BM25 アイ ハ\u309A 1 fi 合同", normalizer.Normalize("ＢＭ２５ ｱｲ ﾊﾟ ① ﬁ\u3000合同"));
        Assert.Equal("plain text 中文", normalizer.Normalize("plain text 中文"));

        var tokenizer = Nfkc.Value;
        Assert.Equal(tokenizer.Encode("BM25"), tokenizer.Encode("ＢＭ２５"));
        Assert.Equal("BM25", tokenizer.Decode(tokenizer.Encode("ＢＭ２５")));
    }

    [Fact]
    public void Unknown_characters_fuse_into_one_unk_or_fall_back_to_bytes()
    {
        // Three code points the models never saw: one <unk> for the run (fuse_unk), or their 8 UTF-8 bytes.
        var nfkc = Nfkc.Value;
        int unk = nfkc.TokenToId("<unk>")!.Value;
        Assert.Equal(unk, nfkc.UnkId);
        Assert.Equal(new[] { nfkc.TokenToId("\u2581")!.Value, unk }, nfkc.Encode("🙂🙂"));

        var bytes = Bytes.Value;
        var ids = bytes.Encode("🙂🙂");
        Assert.Equal(1 + 8, ids.Length);
        Assert.All(ids[1..], id => Assert.Matches("^<0x[0-9A-F]{2}>$", bytes.IdToToken(id)!));
        Assert.Equal("🙂🙂", bytes.Decode(ids));
        Assert.Equal("👍🏽 ok", bytes.Decode(bytes.Encode("👍🏽 ok")));
    }

    [Fact]
    public void Special_tokens_are_split_out_and_wrap_the_text()
    {
        var tokenizer = Nfkc.Value;
        Assert.Equal(0, tokenizer.TokenToId("<s>"));
        Assert.Equal(1, tokenizer.TokenToId("<pad>"));
        Assert.Equal(2, tokenizer.TokenToId("</s>"));
        Assert.Equal(tokenizer.VocabSize - 1, tokenizer.TokenToId("<mask>"));
        Assert.Equal([0], tokenizer.PrefixIds);
        Assert.Equal([2], tokenizer.SuffixIds);
        Assert.Equal(1, tokenizer.PadId);
        int[] ids = tokenizer.Encode("合同<mask>生效", parseSpecial: true);
        Assert.Contains(tokenizer.VocabSize - 1, ids);
        // Metaspace ("always") marks the text after the added token with its own "▁", which decodes to a space.
        Assert.Equal("合同<mask> 生效", tokenizer.Decode(ids));
        Assert.Equal("合同 生效", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Theory]
    [InlineData("unigram-nfkc")]
    [InlineData("unigram-bytes")]
    public void Offsets_give_the_same_ids_and_point_into_the_input(string name)
    {
        var tokenizer = Load(name);
        foreach (var text in Golden(name).GetProperty("texts").EnumerateArray().Select(t => t.GetString()!))
        {
            var encoded = tokenizer.EncodeWithOffsets(text);
            Assert.Equal(tokenizer.Encode(text), encoded.Ids);
            int previous = 0;
            foreach (var (start, end) in encoded.Offsets)
            {
                Assert.InRange(start, previous, text.Length);
                Assert.InRange(end, start, text.Length);
                previous = start;
            }
        }
        // A full-width run normalized to "ABC" maps back to the full-width characters.
        var abc = tokenizer.EncodeWithOffsets("ＡＢＣ１２３");
        var covered = abc.Ids.Zip(abc.Offsets).Select(p => "ＡＢＣ１２３"[p.Second.Start..p.Second.End]).ToArray();
        Assert.Equal("ＡＢＣ１２３", string.Concat(covered.Distinct()));
    }

    private static string WithEdit(string name, Action<JsonObject> edit, out TempDirectory dir)
    {
        dir = new TempDirectory();
        var json = JsonNode.Parse(File.ReadAllText(TokenizerTestData.PathOf(name, "tokenizer.json")))!.AsObject();
        edit(json);
        return dir.Write("tokenizer.json", json.ToJsonString());
    }

    /// <summary>Loading the edited tokenizer.json fails with one message naming the file and each fragment.</summary>
    private static void LoadFailsNaming(string name, Action<JsonObject> edit, params string[] fragments)
    {
        string path = WithEdit(name, edit, out var dir);
        using (dir)
        {
            var e = Assert.Throws<EngineException>(() => Tokenizer.FromTokenizerJson(path));
            Assert.Contains(path, e.Message);
            foreach (string fragment in fragments) Assert.Contains(fragment, e.Message);
        }
    }

    [Theory]
    [InlineData("""["a"]""", "[the string \"a\"]")]
    [InlineData("""["a", "x"]""", "[the string \"a\", the string \"x\"]")]
    [InlineData("""{"a": 1}""", "an object")]
    public void A_malformed_vocab_entry_is_named(string entry, string found) =>
        LoadFailsNaming("unigram-bytes", j => j["model"]!["vocab"]!.AsArray()[5] = JsonNode.Parse(entry),
            $"'model.vocab[5]' is {found}", "[token, score] pair");

    [Fact]
    public void An_unk_id_outside_the_vocab_is_named() =>
        LoadFailsNaming("unigram-bytes", j => j["model"]!["unk_id"] = 100000, "'model.unk_id' is the number 100000");

    [Fact]
    public void A_charsmap_that_is_not_base64_is_named() =>
        LoadFailsNaming("unigram-bytes", j => j["normalizer"]!["normalizers"]![0]!["precompiled_charsmap"] = "not base64!",
            "'normalizer.normalizers[0].precompiled_charsmap'", "not base64");

    [Theory]
    [InlineData("truncate")]
    [InlineData("trie-size")]
    [InlineData("bad-utf8")]
    [InlineData("leaf-past-blob")]
    public void A_malformed_charsmap_is_named(string damage) =>
        LoadFailsNaming("unigram-bytes", j =>
        {
            var node = j["normalizer"]!["normalizers"]![0]!;
            byte[] map = Convert.FromBase64String(node["precompiled_charsmap"]!.GetValue<string>());
            int trie = BitConverter.ToInt32(map, 0);
            switch (damage)
            {
                case "truncate": map = map[..(4 + trie / 2)]; break;
                case "trie-size": BitConverter.GetBytes(trie + 2).CopyTo(map, 0); break;
                case "bad-utf8": map[^2] = 0xFF; break;
                // Keep the trie, drop the replacement strings: every leaf now points past the end.
                case "leaf-past-blob": map = map[..(4 + trie)]; break;
            }
            node["precompiled_charsmap"] = Convert.ToBase64String(map);
        }, "'normalizer.normalizers[0].precompiled_charsmap'", "precompiled charsmap");

    [Fact]
    public void Without_an_unk_id_an_unknown_character_is_an_error_naming_it()
    {
        string path = WithEdit("unigram-nfkc", j => j["model"]!["unk_id"] = null, out var dir);
        using (dir)
        {
            var tokenizer = Tokenizer.FromTokenizerJson(path);
            Assert.Equal(tokenizer.Encode("合同"), Nfkc.Value.Encode("合同"));
            var e = Assert.Throws<EngineException>(() => tokenizer.Encode("🙂"));
            Assert.Contains(path, e.Message);
            Assert.Contains("\"🙂\"", e.Message);
            Assert.Contains("no unk_id", e.Message);
        }
    }

    [Fact]
    public void A_gguf_t5_vocabulary_gives_llama_cpps_ids()
    {
        // llama.cpp's UGM: SentencePiece's longest-rule normalization and whitespace handling, byte tokens never
        // matched (unknown runs stay one <unk>), EOS added after the text.
        string path = TokenizerTestData.PathOf("unigram-bytes", "ugm-vocab.gguf");
        var tokenizer = Tokenizer.FromGguf(path);
        Assert.Equal(TokenizerKind.Unigram, tokenizer.Kind);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(TokenizerTestData.PathOf("unigram-bytes", "ugm-golden.json")));
        var texts = doc.RootElement.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var ids = doc.RootElement.GetProperty("ids").EnumerateArray().Select(Ints).ToArray();
        Assert.True(texts.Length >= 50);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.True(ids[i].SequenceEqual(tokenizer.Encode(texts[i])),
                $"\"{texts[i]}\": expected [{string.Join(", ", ids[i])}], got [{string.Join(", ", tokenizer.Encode(texts[i]))}]");
            Assert.Equal([.. ids[i], tokenizer.EosId!.Value], tokenizer.Encode(texts[i], addSpecialTokens: true));
        }
        Assert.Equal("合同自双方签字之日起生效", tokenizer.Decode(tokenizer.Encode("合同自双方签字之日起生效")));
    }

    [Fact]
    public void A_gguf_t5_vocabulary_with_a_malformed_charsmap_is_named()
    {
        using var dir = new TempDirectory();
        string path = Path.Combine(dir.Path, "bad.gguf");
        File.WriteAllBytes(path, new GgufTestWriter()
            .String("general.architecture", "t5encoder")
            .String("tokenizer.ggml.model", "t5")
            .Strings("tokenizer.ggml.tokens", ["<pad>", "</s>", "<unk>", "\u2581a"])
            .Float32s("tokenizer.ggml.scores", [0f, 0f, 0f, -1f])
            .Add("tokenizer.ggml.precompiled_charsmap", RagTune.Engine.Formats.GgufValueType.Array,
                (RagTune.Engine.Formats.GgufValueType.UInt8, new object[] { (byte)64, (byte)0, (byte)0, (byte)0, (byte)1 }))
            .ToBytes());
        var e = Assert.Throws<EngineException>(() => Tokenizer.FromGguf(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("tokenizer.ggml.precompiled_charsmap is a trie of 64 bytes in a charsmap of 5 bytes", e.Message);
    }
}
