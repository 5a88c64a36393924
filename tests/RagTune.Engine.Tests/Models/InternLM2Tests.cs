// InternLM2 beyond the shared decoder golden tests: dynamic NTK RoPE past max_position_embeddings (one call and in
// chunks), the packed wqkv split and its transpose, the internlm2-chat template, and checkpoints whose config and
// tensors disagree. Golden data: tools/reference/make_tiny_internlm2.py.
using RagTune.Engine.Chat;
using RagTune.Engine.Models;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public sealed class InternLM2Tests
{
    private const string Name = "internlm2-tiny";

    [Fact]
    public void Config_reads_the_internlm2_fields()
    {
        var config = Assert.IsType<InternLM2Config>(ModelConfig.Load(Fixtures.Dir(Name)));
        Assert.True(config.Bias);
        Assert.Equal(8, config.HeadDim);
        Assert.Equal(new RopeScaling("dynamic", 2.0, 0, 0, 32), config.RopeScaling);
        Assert.Equal(["wqkv", "wo", "w1", "w3", "w2"], config.Names.ProjectionModules);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(5)]
    [InlineData(1)]
    public void A_sequence_past_max_positions_uses_dynamic_ntk_frequencies(int chunk)
    {
        // One forward over 37 tokens > max_position_embeddings = 32: every position rotates with the NTK-scaled base of
        // length 37, in PyTorch as here, however the engine chunks the call. (Unscaled RoPE is off by 0.08 at the last row.)
        // Forward, which computes logits for the last chunk's last row only (the chunks before it just fill the cache),
        // gives that last row too.
        var golden = Fixtures.Golden(Name);
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        int[] ids = golden.GetProperty("long_ids").Ints();
        Assert.True(ids.Length > model.Config.MaxPositionEmbeddings);
        int v = model.Config.VocabSize;
        var logits = new float[ids.Length * v];
        model.CreateSession(capacity: 64, chunk: chunk).ForwardAll(ids, logits);
        int[] rows = [0, 31, 32, ids.Length - 1];
        var expected = golden.GetProperty("long_logits_rows").EnumerateArray().Select(r => r.Floats()).ToArray();
        for (int i = 0; i < rows.Length; i++)
            Kernels.KernelAgreementTests.AssertClose(expected[i], logits.AsSpan(rows[i] * v, v).ToArray(), 1e-4f);
        Kernels.KernelAgreementTests.AssertClose(expected[^1], model.CreateSession(capacity: 64, chunk: chunk).Forward(ids).ToArray(), 1e-4f);
    }

    [Fact]
    public void A_new_sequence_after_a_long_one_is_rotated_afresh()
    {
        // The dynamic tables of a long call must not leak into the next sequence of the same session.
        var golden = Fixtures.Golden(Name);
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        var session = model.CreateSession(capacity: 64);
        session.Forward(golden.GetProperty("long_ids").Ints());
        session.Reset();
        int[] prompt = golden.GetProperty("prompt_ids").Ints();
        var last = session.Forward(prompt).ToArray();
        var expected = golden.GetProperty("logits").EnumerateArray().Last().Floats();
        Kernels.KernelAgreementTests.AssertClose(expected, last, 1e-4f);
    }

    [Fact]
    public void Grouped_layout_splits_as_modeling_internlm2_and_pack_is_its_transpose()
    {
        // H = 4, KV = 2, D = 2: packed columns [q0 q1 k0 v0 | q2 q3 k1 v1], each head two wide.
        var layout = PackedQkv.Grouped(heads: 4, kvHeads: 2, headDim: 2);
        Assert.Equal(16, layout.Width);
        float[] packed = [.. Enumerable.Range(0, 16).Select(i => (float)i)];
        float[] q = new float[8], k = new float[4], v = new float[4];
        layout.Unpack(packed, q, k, v, rows: 1);
        Assert.Equal([0f, 1, 2, 3, 8, 9, 10, 11], q);
        Assert.Equal([4f, 5, 12, 13], k);
        Assert.Equal([6f, 7, 14, 15], v);
        var back = new float[16];
        layout.Pack(q, k, v, back, rows: 1);
        Assert.Equal(packed, back);
    }

    [Fact]
    public void Chat_template_renders_the_internlm2_chat_prompt()
    {
        var golden = Fixtures.Golden(Name);
        var tokenizer = Tokenizer.Load(Fixtures.Dir(Name));
        var template = ChatTemplate.Load(Fixtures.Dir(Name), tokenizer);
        string prompt = template.Render([new ChatTurn("user", "What is RagTune?")]);
        Assert.Equal(golden.GetProperty("chat_prompt").GetString(), prompt);
        Assert.Equal(golden.GetProperty("chat_prompt_ids").Ints(), tokenizer.Encode(prompt, parseSpecial: true));
    }

    [Fact]
    public void Wqkv_of_another_size_than_the_config_implies_names_the_file_and_tensor()
    {
        // num_key_value_heads 2 → 1: wqkv should be (4 + 2·1)·8 = 48 rows; the checkpoint's has 64.
        string dir = Fixtures.CopyToTempWithConfig(Name, c => c["num_key_value_heads"] = 1);
        try
        {
            var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(dir));
            Assert.Contains("model.safetensors: tensor 'model.layers.0.attention.wqkv.weight' has shape [64, 32], expected [48, 32]", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Hidden_size_that_disagrees_with_the_tensors_names_the_file_and_tensor()
    {
        string dir = Fixtures.CopyToTempWithConfig(Name, c => c["hidden_size"] = 48);
        try
        {
            var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(dir));
            Assert.Contains("model.safetensors: tensor 'model.tok_embeddings.weight' has shape [512, 32], expected [512, 48]", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
