// Prompt tuning (PEFT PROMPT_TUNING) against PyTorch (tools/reference/prompt_tuning_golden.py): the training forward with
// the virtual tokens before the ids gives PyTorch's logits, loss and gradient with respect to the prompt embeddings; the
// KV-cache path (virtual tokens prefilled first) gives the same logits; PEFT's folder round-trips; TEXT initialisation
// embeds the init ids repeated to N; an adapter for another model is one error naming the file and the field.
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;
using static RagTune.Engine.Tests.Training.DecoderTrainingGoldenTests;

namespace RagTune.Engine.Tests.Training;

public sealed class PromptTuningTests : IDisposable
{
    private static readonly string Adapter = Data("qwen2-tiny-prompt-tuning");
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(Adapter, "golden.json"))).RootElement;
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-prompt-tuning-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int[] Ints(string name) => Golden.GetProperty(name).EnumerateArray().Select(e => e.GetInt32()).ToArray();

    private static float[] Floats(string name) => Golden.GetProperty(name).EnumerateArray().Select(e => e.GetSingle()).ToArray();

    [Fact]
    public void Loss_and_prompt_gradient_match_PyTorch()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var prompt = PromptTuning.Load(Adapter, model.Config.HiddenSize);
        var parameters = new ParameterSet();
        parameters.Add(PromptTuning.TensorName, prompt.Embeddings);
        var graph = new DecoderTrainingGraph(model, parameters) { Prompt = prompt };

        double loss = graph.Batch([new TokenizedExample(Ints("ids"), Ints("labels"))], backward: true);

        Assert.Equal(Golden.GetProperty("loss").GetDouble(), loss, 1e-4);
        AssertClose(Floats("prompt_grad"), parameters.Tensors[0].Grad, 1e-3, "prompt_embeddings");
        Assert.Single(parameters.Tensors);   // nothing else is trainable: the base gets no gradient buffer
    }

    [Fact]
    public void Virtual_tokens_prefilled_into_the_cache_give_PyTorchs_logits()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var prompt = PromptTuning.Load(Adapter, model.Config.HiddenSize);
        var ids = Ints("ids");
        var session = model.CreateSession(prompt.NumVirtualTokens + ids.Length, chunk: 3);   // chunks split both parts
        int v = model.Config.VocabSize;
        var logits = new float[ids.Length * v];

        session.ForwardEmbeddings(prompt.Embeddings);
        Assert.Equal(prompt.NumVirtualTokens, session.Length);
        session.ForwardAll(ids, logits);

        var expected = Floats("logits");
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - logits[i]));
        Assert.True(maxDiff < 1e-4, $"max logit difference {maxDiff}");
    }

    [Fact]
    public void Save_and_load_round_trip_in_PEFTs_layout()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var prompt = PromptTuning.CreateFromText(4, Ints("init_ids")[..3], model.EmbedTokens, "tiny init text");
        prompt.Save(_dir, "qwen2-tiny", model.Config.NumAttentionHeads, model.Config.NumHiddenLayers);

        // The init rows: the text's embeddings, repeated to N (7, 42, 300, 7).
        var row = new float[model.Config.HiddenSize];
        var init = Ints("init_ids");
        for (int i = 0; i < 4; i++)
        {
            model.EmbedTokens.ReadRow(init[i], row);
            Assert.Equal(row, prompt.Embeddings.AsSpan(i * row.Length, row.Length).ToArray());
        }
        var loaded = PromptTuning.Load(_dir, model.Config.HiddenSize);
        Assert.Equal(prompt.Embeddings, loaded.Embeddings);
        Assert.Equal("tiny init text", loaded.InitText);
        Assert.True(PromptTuning.IsPromptTuning(_dir));
        Assert.False(PromptTuning.IsPromptTuning(Data("qwen2-tiny-lora")));
        // The config carries every field PEFT's PromptTuningConfig reads, with the golden folder's (PEFT's) values.
        using var ours = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, PromptTuning.ConfigFileName)));
        using var peft = JsonDocument.Parse(File.ReadAllText(Path.Combine(Adapter, PromptTuning.ConfigFileName)));
        Assert.Equal(peft.RootElement.EnumerateObject().Select(p => p.Name).Order(), ours.RootElement.EnumerateObject().Select(p => p.Name).Order());
        foreach (var field in new[] { "peft_type", "task_type", "num_virtual_tokens", "token_dim", "num_transformer_submodules", "prompt_tuning_init" })
            Assert.Equal(peft.RootElement.GetProperty(field).ToString(), ours.RootElement.GetProperty(field).ToString());
    }

    [Fact]
    public void An_adapter_for_another_model_is_one_error_naming_the_file_and_field()
    {
        var e = Assert.Throws<EngineException>(() => PromptTuning.Load(Adapter, 896));
        Assert.Contains(Path.Combine(Adapter, PromptTuning.ConfigFileName), e.Message);
        Assert.Contains("token_dim", e.Message);
        Assert.Contains("896", e.Message);
    }

    [Fact]
    public void A_lora_folder_is_not_a_prompt_tuning_adapter()
    {
        var e = Assert.Throws<EngineException>(() => PromptTuning.Load(Data("qwen2-tiny-lora"), 64));
        Assert.Contains("peft_type", e.Message);
        Assert.Contains("PROMPT_TUNING", e.Message);
    }
}
