// A SentencePiece tokenizer.model read as the only tokenizer file of a folder (InternLM2-chat and LLaMA-2 checkpoints ship
// it without a tokenizer.json): ids and decodes equal SentencePiece's own for tiny BPE (LLaMA/InternLM2 style, byte
// fallback, chat markers as user-defined pieces; and nmt_nfkc without byte fallback) and Unigram models trained by
// tools/reference/make_spm_fixtures.py; an InternLM2 checkpoint folder with only tokenizer.model loads and builds its chat
// prompt as the slow Hugging Face tokenizer does; a file that is not a ModelProto is one error naming the field.
using System.Text.Json;
using RagTune.Engine.AI;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Tokenizers;
using Microsoft.Extensions.AI;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class SentencePieceModelTests
{
    private static JsonElement Golden(string name) =>
        JsonDocument.Parse(File.ReadAllText(TokenizerTestData.PathOf(name, "golden.json"))).RootElement;

    [Theory]
    [InlineData("spm-bpe", TokenizerKind.SentencePieceBpe)]
    [InlineData("spm-bpe-nfkc", TokenizerKind.SentencePieceBpe)]
    [InlineData("spm-unigram", TokenizerKind.Unigram)]
    public void Encodes_and_decodes_as_sentencepiece(string name, TokenizerKind kind)
    {
        var golden = Golden(name);
        var tokenizer = Tokenizer.Load(TokenizerTestData.PathOf(name));
        Assert.Equal(kind, tokenizer.Kind);
        Assert.Equal(golden.GetProperty("bos_id").GetInt32(), tokenizer.BosId);
        Assert.Equal(golden.GetProperty("eos_id").GetInt32(), tokenizer.EosId);
        Assert.Equal(golden.GetProperty("unk_id").GetInt32(), tokenizer.UnkId);
        Assert.Equal(golden.GetProperty("vocab_size").GetInt32(), tokenizer.VocabSize);
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToList();
        var ids = golden.GetProperty("ids").EnumerateArray().Select(a => a.Ints()).ToList();
        var decoded = golden.GetProperty("decoded").EnumerateArray().Select(t => t.GetString()!).ToList();
        int unk = golden.GetProperty("unk_id").GetInt32(), decodesChecked = 0;
        for (int i = 0; i < texts.Count; i++)
        {
            Assert.True(ids[i].SequenceEqual(tokenizer.Encode(texts[i])),
                $"{name} \"{texts[i]}\": expected [{string.Join(",", ids[i])}], got [{string.Join(",", tokenizer.Encode(texts[i]))}]");
            // The slow Hugging Face tokenizers put BOS before the text (add_bos_token defaults to true for them).
            Assert.Equal([golden.GetProperty("bos_id").GetInt32(), .. ids[i]], tokenizer.Encode(texts[i], addSpecialTokens: true));
            // sentencepiece decodes <unk> as " ⁇ ", Hugging Face as the "<unk>" special token: only texts without one compare.
            if (ids[i].Contains(unk)) continue;
            Assert.Equal(decoded[i], tokenizer.Decode(ids[i]));
            decodesChecked++;
        }
        Assert.True(decodesChecked > texts.Count / 2, $"only {decodesChecked} of {texts.Count} decodes compared");
    }

    [Fact]
    public void An_internlm2_folder_with_only_tokenizer_model_loads_and_builds_the_chat_prompt_as_hugging_face()
    {
        // internlm2-tiny's weights (vocab 512) with the spm-bpe tokenizer.model and an internlm2-chat tokenizer_config.json.
        string dir = Fixtures.CopyToTemp("internlm2-tiny");
        try
        {
            File.Delete(Path.Combine(dir, "tokenizer.json"));
            foreach (string file in new[] { "tokenizer.model", "tokenizer_config.json" })
                File.Copy(TokenizerTestData.PathOf("spm-bpe", file), Path.Combine(dir, file), overwrite: true);
            var chat = Golden("spm-bpe").GetProperty("chat");

            using var client = LocalChatClient.Load(dir);
            var tokenizer = Assert.IsAssignableFrom<TokenizerBase>(client.Generator.Tokenizer);
            Assert.Equal(TokenizerKind.SentencePieceBpe, tokenizer.Kind);
            Assert.Equal(2, tokenizer.EosId);
            var (ids, _) = client.Prepare([new ChatMessage(ChatRole.User, "合同何时生效？ RagTune")], null);
            Assert.Equal(chat.GetProperty("ids").Ints(), ids);
            Assert.Contains("合同何时生效？ RagTune", tokenizer.Decode(ids, skipSpecialTokens: true));
            Assert.Contains(4, client.Generator.EosTokenIds.Concat(client.Template.StopTokenIds(tokenizer)));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_llama_folder_with_only_tokenizer_model_loads_with_bos_before_the_text()
    {
        string dir = Fixtures.CopyToTemp("llama-tiny");
        try
        {
            File.Delete(Path.Combine(dir, "tokenizer.json"));
            File.Copy(TokenizerTestData.PathOf("spm-bpe", "tokenizer.model"), Path.Combine(dir, "tokenizer.model"));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
                """{"tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "legacy": true}""");
            var generator = RagTune.Engine.Generation.TextGenerator.Load(dir);
            var golden = Golden("spm-bpe");
            int i = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()).ToList().IndexOf("合同自双方签字之日起生效，有效期为三年。");
            Assert.Equal([1, .. golden.GetProperty("ids")[i].Ints()], generator.Tokenizer.Encode("合同自双方签字之日起生效，有效期为三年。", addSpecialTokens: true));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData(new byte[] { 0x0a, 0x05, 0x0a, 0x03, 0x61 }, "5 bytes long")]              // a piece whose string runs past the end
    [InlineData(new byte[] { 0x0a, 0x03, 0x0a, 0x01, 0x61 }, "trainer_spec (ModelProto field 2) is missing")]
    [InlineData(new byte[] { 0x0a, 0x03, 0x0a, 0x01, 0x61, 0x12, 0x02, 0x18, 0x03 }, "trainer_spec.model_type is 3")]
    [InlineData(new byte[] { 0x0a, 0x02, 0x18, 0x09, 0x12, 0x00 }, "pieces[0].type is 9")]
    [InlineData(new byte[] { 0x0b, 0x00 }, "wire type 3")]
    public void A_file_that_is_not_a_sentencepiece_model_is_one_error_naming_the_field(byte[] bytes, string message)
    {
        string dir = Directory.CreateTempSubdirectory("ragtune-spm-").FullName;
        try
        {
            string path = Path.Combine(dir, "tokenizer.model");
            File.WriteAllBytes(path, bytes);
            var ex = Assert.Throws<EngineException>(() => Tokenizer.Load(dir));
            Assert.Contains(path, ex.Message);
            Assert.Contains(message, ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
