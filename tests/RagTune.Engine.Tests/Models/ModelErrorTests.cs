// Bad checkpoints fail with one EngineException that names the file/field/tensor, what was found and what was expected.
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public sealed class ModelErrorTests : IDisposable
{
    private readonly string _dir = Fixtures.CopyToTemp("qwen3-tiny");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string ConfigPath => Path.Combine(_dir, "config.json");

    private void EditConfig(Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(ConfigPath))!.AsObject();
        edit(json);
        File.WriteAllText(ConfigPath, json.ToJsonString());
    }

    [Fact]
    public void Unknown_architecture_is_named_with_the_supported_list()
    {
        EditConfig(c => c["architectures"] = new JsonArray("GPTNeoXForCausalLM"));
        var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(_dir));
        Assert.Contains("'GPTNeoXForCausalLM' is not supported", ex.Message);
        Assert.Contains("Qwen2ForCausalLM, Qwen3ForCausalLM, LlamaForCausalLM, ", ex.Message);
        Assert.Contains("Qwen2Model, Qwen3Model, LlamaModel, ", ex.Message);   // bare decoders, as decoder embedders are saved
        Assert.Contains("BertModel, BertForMaskedLM", ex.Message);
        Assert.Contains("XLMRobertaModel", ex.Message);
        Assert.Contains("XLMRobertaForSequenceClassification", ex.Message);
    }

    [Fact]
    public void Model_type_is_the_fallback_when_architectures_is_absent()
    {
        EditConfig(c => c.Remove("architectures"));
        Assert.IsType<Qwen3Config>(ModelConfig.Load(_dir));
    }

    [Fact]
    public void Missing_field_names_the_field_and_the_file()
    {
        EditConfig(c => c.Remove("intermediate_size"));
        var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(_dir));
        Assert.Equal($"{ConfigPath}: field \"intermediate_size\" is missing (expected an integer)", ex.Message);
    }

    [Fact]
    public void Ill_typed_field_names_what_was_found()
    {
        EditConfig(c => c["hidden_size"] = "forty-eight");
        var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(_dir));
        Assert.Equal($"{ConfigPath}: field \"hidden_size\" is \"forty-eight\" (String), expected an integer", ex.Message);
    }

    [Fact]
    public void Heads_that_do_not_group_into_kv_heads_are_rejected()
    {
        EditConfig(c => c["num_key_value_heads"] = 3);
        var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(_dir));
        Assert.Contains("\"num_key_value_heads\" is 3, expected a divisor of num_attention_heads (4)", ex.Message);
    }

    [Fact]
    public void Unknown_rope_scaling_type_is_rejected_clearly()
    {
        EditConfig(c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 });
        var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(_dir));
        Assert.Contains("rope_scaling type 'yarn' is not supported (supported: linear, llama3, dynamic)", ex.Message);
    }

    [Fact]
    public void Malformed_config_json_is_reported()
    {
        File.WriteAllText(ConfigPath, "{\"hidden_size\": 48,");
        var ex = Assert.Throws<EngineException>(() => ModelConfig.Load(_dir));
        Assert.StartsWith($"{ConfigPath}: not well-formed JSON", ex.Message);
    }

    [Fact]
    public void Missing_config_is_reported()
    {
        File.Delete(ConfigPath);
        var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(_dir));
        Assert.Contains("no config.json", ex.Message);
    }

    [Fact]
    public void Encoder_directory_is_not_loaded_as_a_decoder()
    {
        var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(Fixtures.Dir("bert-tiny-cls")));
        Assert.Contains("BertModel is an encoder", ex.Message);
    }

    [Fact]
    public void Missing_tensor_is_named_with_its_expected_shape()
    {
        RewriteCheckpoint(entries => entries.Where(e => e.Name != "model.layers.1.self_attn.k_norm.weight"));
        var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(_dir));
        Assert.Contains("tensor 'model.layers.1.self_attn.k_norm.weight' is missing (expected shape [16])", ex.Message);
    }

    [Fact]
    public void Wrong_shape_names_found_and_expected()
    {
        RewriteCheckpoint(entries => entries.Select(e => e.Name == "model.norm.weight"
            ? SafeTensorEntry.FromFloat32(e.Name, new float[47], 47) : e));
        var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(_dir));
        Assert.Contains("tensor 'model.norm.weight' has shape [47], expected [48]", ex.Message);
    }

    [Fact]
    public void Unsupported_dtype_names_the_tensor_and_the_supported_ones()
    {
        RewriteCheckpoint(entries => entries.Select(e => e.Name == "model.norm.weight"
            ? new SafeTensorEntry(e.Name, DType.I8, [48], new byte[48]) : e));
        var ex = Assert.Throws<EngineException>(() => DecoderModel.Load(_dir));
        Assert.Contains("tensor 'model.norm.weight' has dtype I8, expected one of F32, F16, BF16", ex.Message);
    }

    [Fact]
    public void F16_weights_load_like_their_f32_originals()
    {
        // The fixtures cover F32 and BF16; F16 goes through the same conversion at load.
        RewriteCheckpoint(entries => entries.Select(e => e.Name == "model.norm.weight"
            ? SafeTensorEntry.FromFloat32AsF16(e.Name, [.. Enumerable.Repeat(1.5f, 48)], 48) : e));
        var model = DecoderModel.Load(_dir);
        Assert.All(model.Norm, w => Assert.Equal(1.5f, w));
    }

    private void RewriteCheckpoint(Func<IEnumerable<SafeTensorEntry>, IEnumerable<SafeTensorEntry>> edit)
    {
        string path = Path.Combine(_dir, Checkpoint.SingleFileName);
        List<SafeTensorEntry> entries;
        using (var checkpoint = Checkpoint.Open(_dir))
            entries = checkpoint.Tensors.Select(t => new SafeTensorEntry(t.Name, t.DType, t.Shape, checkpoint.GetBytes(t.Name).ToArray())).ToList();
        SafeTensorWriter.Write(path, edit(entries).ToList());
    }
}
