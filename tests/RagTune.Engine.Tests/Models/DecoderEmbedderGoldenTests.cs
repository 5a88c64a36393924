// A decoder embedder in Qwen3-Embedding's layout (config says Qwen3ForCausalLM, weights are the bare Qwen3Model without
// "model." or lm_head, the tokenizer appends <|endoftext|>, last-token pooling + Normalize) against PyTorch:
// tools/reference/make_decoder_embedder.py ran the texts as one left-padded batch (and checked that right padding and
// each text alone agree within 1e-5; observed 4e-7).
// Tolerance 1e-5: both sides are fp32 over unit-length vectors, differing only in summation order (observed below 1e-6).
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class DecoderEmbedderGoldenTests
{
    private const string Name = "qwen3-embed-tiny";
    private const float Tolerance = 1e-5f;

    private static string[] Texts => Fixtures.Golden(Name).GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static float[][] Expected =>
        Fixtures.Golden(Name).GetProperty("embeddings").EnumerateArray().Select(e => e.Floats()).ToArray();

    [Fact]
    public void Tokenizer_appends_the_end_of_text_token_as_the_post_processor_says()
    {
        using var embedder = TextEmbedder.Load(Fixtures.Dir(Name));
        var ids = Fixtures.Golden(Name).GetProperty("input_ids").EnumerateArray().Select(e => e.Ints()).ToArray();
        int endOfText = embedder.Tokenizer.TokenToId("<|endoftext|>")!.Value;
        for (int i = 0; i < ids.Length; i++)
        {
            Assert.Equal(ids[i], embedder.Tokenize(Texts[i]));
            Assert.Equal(endOfText, ids[i][^1]);
        }
    }

    [Fact]
    public void Embeddings_match_the_left_padded_pytorch_batch()
    {
        using var embedder = TextEmbedder.Load(Fixtures.Dir(Name));
        Assert.IsType<DecoderEmbedder>(embedder.Model);
        Assert.Equal(new Pooling(PoolingMode.LastToken, true), embedder.Model.Pooling);
        Assert.True(((DecoderEmbedder)embedder.Model).PoolingDeclared);
        var expected = Expected;
        Assert.True(Texts.Select(t => embedder.Tokenize(t).Length).Distinct().Count() > 1, "the batch must have needed padding");
        for (int i = 0; i < expected.Length; i++)
            Kernels.KernelAgreementTests.AssertClose(expected[i], embedder.Embed(Texts[i]), Tolerance);
    }

    [Fact]
    public void The_query_instruction_is_part_of_the_golden_query_text()
    {
        var golden = Fixtures.Golden(Name);
        string instruction = golden.GetProperty("instruction").GetString()!;
        Assert.StartsWith("Instruct: ", instruction);
        Assert.EndsWith("\nQuery:", instruction);
        Assert.Equal(instruction + golden.GetProperty("queries")[0].GetString(), Texts[0]);
    }

    [Fact]
    public void Without_modules_json_a_decoder_pools_the_last_token_and_normalises()
    {
        string dir = Fixtures.CopyToTemp(Name);
        try
        {
            File.Delete(Path.Combine(dir, "modules.json"));
            Directory.Delete(Path.Combine(dir, "1_Pooling"), true);
            using var embedder = TextEmbedder.Load(dir);
            var model = Assert.IsType<DecoderEmbedder>(embedder.Model);
            Assert.False(model.PoolingDeclared);
            Assert.Equal(Pooling.DecoderDefault, model.Pooling);
            Assert.Equal(new Pooling(PoolingMode.LastToken, true), Pooling.DecoderDefault);
            Kernels.KernelAgreementTests.AssertClose(Expected[2], embedder.Embed(Texts[2]), Tolerance);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_Qwen3Model_checkpoint_with_model_prefixed_weights_and_an_lm_head_embeds_the_same()
    {
        string dir = Fixtures.CopyToTemp(Name);
        try
        {
            // gte-Qwen2-style save: every backbone tensor under "model.", plus an lm_head the embedder ignores.
            using (var source = Checkpoint.Open(dir))
            {
                var entries = source.Tensors.Select(t => SafeTensorEntry.FromFloat32("model." + t.Name, source.ReadFloat32(t.Name), t.Shape)).ToList();
                var embed = source.Tensors.Single(t => t.Name == "embed_tokens.weight");
                entries.Add(SafeTensorEntry.FromFloat32("lm_head.weight", new float[embed.ElementCount], embed.Shape));
                SafeTensorWriter.Write(Path.Combine(dir, "model.safetensors.new"), entries);
            }
            File.Move(Path.Combine(dir, "model.safetensors.new"), Path.Combine(dir, "model.safetensors"), overwrite: true);
            string config = Path.Combine(dir, "config.json");
            File.WriteAllText(config, File.ReadAllText(config).Replace("\"Qwen3ForCausalLM\"", "\"Qwen3Model\""));
            using var embedder = TextEmbedder.Load(dir);
            Assert.Equal("Qwen3Model", embedder.Model.Config.Architecture);
            Kernels.KernelAgreementTests.AssertClose(Expected[3], embedder.Embed(Texts[3]), Tolerance);

            var error = Assert.Throws<EngineException>(() => DecoderModel.Load(dir));
            Assert.Contains("config.json", error.Message);
            Assert.Contains("no language-model head", error.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_checkpoint_that_is_neither_encoder_nor_decoder_is_one_error_naming_config_json()
    {
        string dir = Fixtures.CopyToTemp(Name);
        try
        {
            string config = Path.Combine(dir, "config.json");
            File.WriteAllText(config, File.ReadAllText(config).Replace("\"Qwen3ForCausalLM\"", "\"T5EncoderModel\""));
            var error = Assert.Throws<EngineException>(() => TextEmbedder.Load(dir));
            Assert.Contains(config, error.Message);
            Assert.Contains("T5EncoderModel", error.Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Over_long_text_is_cut_to_max_length_keeping_the_end_of_text_token()
    {
        using var embedder = TextEmbedder.Load(Fixtures.Dir(Name), maxLength: 16);
        int[] full = embedder.Tokenizer.Encode(Texts[0], addSpecialTokens: true);
        int[] cut = embedder.Tokenize(Texts[0], out bool truncated);
        Assert.True(truncated);
        Assert.Equal([.. full[..15], full[^1]], cut);
        Assert.Equal(128, TextEmbedder.Load(Fixtures.Dir(Name)).MaxLength);  // max_position_embeddings < model_max_length
        Assert.Throws<EngineException>(() => TextEmbedder.Load(Fixtures.Dir(Name), maxLength: 129));
    }
}
