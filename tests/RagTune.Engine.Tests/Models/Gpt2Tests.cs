// GPT-2 beyond the shared decoder golden tests: config.json read through GPT-2's attribute_map, a checkpoint saved without
// "transformer." (as openai-community/gpt2 ships, with its attn.bias buffers) loading under PEFT's module names, the
// n_positions limit, the plain-text prompt layout, and configs that disagree with the tensors.
using RagTune.Engine.Chat;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public sealed class Gpt2Tests
{
    private const string Name = "gpt2-tiny";

    [Fact]
    public void Config_reads_gpt2_field_names()
    {
        var config = Assert.IsType<Gpt2Config>(ModelConfig.Load(Fixtures.Dir(Name)));
        Assert.Equal((32, 2, 4, 64), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.MaxPositionEmbeddings));
        Assert.Equal(128, config.IntermediateSize);   // n_inner null → 4·n_embd
        Assert.Equal(1e-5, config.RmsNormEps);          // layer_norm_epsilon
        Assert.True(config.TieWordEmbeddings && config.LearnedPositions && config.Conv1DWeights && config.LayerNormWithBias);
        Assert.Equal(["c_attn", "c_proj", "c_fc"], config.Names.ProjectionModules);
    }

    [Fact]
    public void A_checkpoint_without_the_transformer_prefix_loads_with_peft_module_names()
    {
        // openai-community/gpt2's model.safetensors: h.0.attn.c_attn.weight …, wte.weight, plus attn.bias mask buffers.
        string dir = Fixtures.CopyToTemp(Name);
        try
        {
            var entries = new List<SafeTensorEntry>();
            using (var file = SafeTensorFile.Open(Path.Combine(dir, "model.safetensors")))
                foreach (var t in file.Tensors)
                    entries.Add(new SafeTensorEntry(t.Name["transformer.".Length..], t.DType, t.Shape, file.GetBytes(t.Name).ToArray()));
            entries.Add(SafeTensorEntry.FromFloat32("h.0.attn.bias", new float[64 * 64], [1, 1, 64, 64]));
            SafeTensorWriter.Write(Path.Combine(dir, "model.safetensors"), entries, new Dictionary<string, string> { ["format"] = "pt" });

            var model = DecoderModel.Load(dir);
            Assert.Equal("transformer.h.1.mlp.c_fc", model.Layers[1].UpProj.Name);
            int[] ids = Fixtures.Golden(Name).GetProperty("prompt_ids").Ints();
            var expected = DecoderModel.Load(Fixtures.Dir(Name)).CreateSession(64).Forward(ids).ToArray();
            Assert.Equal(expected, model.CreateSession(64).Forward(ids).ToArray());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_sequence_past_n_positions_is_one_clear_error()
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        var session = model.CreateSession(capacity: 80);
        var ex = Assert.Throws<EngineException>(() => session.Forward(new int[65]));
        Assert.Contains("position 64 is beyond the 64 learned positions", ex.Message);
        Assert.Contains("n_positions", ex.Message);
    }

    [Fact]
    public void No_chat_template_means_plain_lines_ended_by_endoftext()
    {
        var golden = Fixtures.Golden(Name);
        var tokenizer = Tokenizer.Load(Fixtures.Dir(Name));
        var template = Assert.IsType<PlainTextTemplate>(ChatTemplate.Load(Fixtures.Dir(Name), tokenizer));
        Assert.Equal(golden.GetProperty("chat_prompt").GetString(), template.Render([new ChatTurn("user", "What is RagTune?")]));
        Assert.Equal("Q\nA<|endoftext|>", template.Render([new ChatTurn("user", "Q"), new ChatTurn("assistant", "A")],
            new ChatTemplateOptions { AddGenerationPrompt = false }));
        Assert.Equal(["<|endoftext|>"], template.StopTokens);
    }

    [Theory]
    [InlineData("n_embd", 48, "tensor 'transformer.wte.weight' has shape [512, 32], expected [512, 48]")]
    [InlineData("n_inner", 64, "tensor 'transformer.h.0.mlp.c_fc.weight' has shape [32, 128], expected [32, 64]")]
    [InlineData("n_positions", 128, "tensor 'transformer.wpe.weight' has shape [64, 32], expected [128, 32]")]
    public void Config_sizes_that_disagree_with_the_tensors_name_the_file_and_tensor(string field, int value, string message)
    {
        string dir = Fixtures.CopyToTempWithConfig(Name, c => c[field] = value);
        try
        {
            var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(dir));
            Assert.Contains("model.safetensors: " + message, ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Config_errors_name_the_gpt2_field()
    {
        string dir = Fixtures.CopyToTempWithConfig(Name, c => c["activation_function"] = "gelu");
        try
        {
            var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(dir));
            Assert.Contains("field \"activation_function\" is \"gelu\", expected \"gelu_new\" or \"gelu_pytorch_tanh\"", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
        dir = Fixtures.CopyToTempWithConfig(Name, c => c.Remove("n_head"));
        try
        {
            var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(dir));
            Assert.Contains("field \"n_head\" is missing", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
