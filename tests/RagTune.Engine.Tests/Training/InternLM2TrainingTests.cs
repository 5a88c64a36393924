// InternLM2 training against PyTorch (tools/reference/make_tiny_internlm2.py, float64 autograd): LoRA gradients on every
// PEFT target (the packed wqkv, wo, w1, w3, w2) and full fine-tune gradients of every weight, over a batch whose second
// example is longer than max_position_embeddings (dynamic NTK RoPE); adapters and full checkpoints saved under PEFT's and
// the checkpoint's own names.
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class InternLM2TrainingTests
{
    private const string Name = "internlm2-tiny";
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(DecoderTrainingGoldenTests.Data("internlm2_golden.json"))).RootElement;

    [Fact]
    public void Lora_loss_and_gradients_on_wqkv_wo_w1_w2_w3_match_pytorch()
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        var adapters = PeftAdapter.Load(DecoderTrainingGoldenTests.Data(Name + "-lora"), model.LayerLinears);
        Assert.Equal(10, adapters.Modules.Count);
        Assert.Contains(adapters.Modules, m => m.Key == "model.layers.1.attention.wqkv");
        var parameters = ParameterSet.ForAdapters(adapters);
        var graph = new DecoderTrainingGraph(model, parameters, adapters);

        double loss = graph.Batch(DecoderTrainingGoldenTests.Batch(Golden), backward: true);

        Assert.Equal(Golden.GetProperty("lora_loss").GetDouble(), loss, 1e-4);
        using var grads = SafeTensorFile.Open(DecoderTrainingGoldenTests.Data("internlm2_golden.safetensors"));
        Assert.Equal(20, parameters.Tensors.Count);
        foreach (var t in parameters.Tensors)
            DecoderTrainingGoldenTests.AssertClose(grads.ReadFloat32(t.Name), t.Grad, 1e-3, t.Name);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Full_fine_tune_gradients_match_pytorch(bool recompute)
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        var parameters = ParameterSet.ForAllWeights(model);
        var graph = new DecoderTrainingGraph(model, parameters) { RecomputeActivations = recompute };

        double loss = graph.Batch(DecoderTrainingGoldenTests.Batch(Golden), backward: true);

        Assert.Equal(Golden.GetProperty("full_loss").GetDouble(), loss, 1e-4);
        using var grads = SafeTensorFile.Open(DecoderTrainingGoldenTests.Data("internlm2_golden.safetensors"));
        Assert.Equal(grads.Tensors.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)), parameters.Tensors.Count);
        foreach (var t in parameters.Tensors)
            DecoderTrainingGoldenTests.AssertClose(grads.ReadFloat32("grad." + t.Name), t.Grad, 1e-3, t.Name);
    }

    [Fact]
    public void All_targets_become_the_internlm2_module_names_and_save_as_peft_reads_them()
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        var options = new LoraOptions { Rank = 2, Alpha = 4 }.ForArchitecture(model.Config);
        Assert.Equal(["wqkv", "wo", "w1", "w3", "w2"], options.TargetModules);
        var adapters = PeftAdapter.CreateNew(model.LayerLinears, options, new Random(3));
        Assert.Equal(10, adapters.Modules.Count);
        string dir = Path.Combine(Path.GetTempPath(), "ragtune-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            PeftAdapter.Save(dir, adapters, options, Fixtures.Dir(Name));
            using (var file = SafeTensorFile.Open(Path.Combine(dir, PeftAdapter.WeightsFileName)))
            {
                var a = file.Tensors.Single(t => t.Name == "base_model.model.model.layers.0.attention.wqkv.lora_A.weight");
                var b = file.Tensors.Single(t => t.Name == "base_model.model.model.layers.0.attention.wqkv.lora_B.weight");
                Assert.Equal([2L, 32], a.Shape);
                Assert.Equal([64L, 2], b.Shape);   // (H + 2·KV)·D rows, in wqkv's own grouped order
            }
            var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, PeftAdapter.ConfigFileName))).RootElement;
            Assert.Equal(["w1", "w2", "w3", "wo", "wqkv"], config.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
            var read = PeftAdapter.Load(dir, model.LayerLinears);
            Assert.Equal(adapters.Modules.Select(m => m.Key), read.Modules.Select(m => m.Key));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_full_checkpoint_is_saved_under_the_internlm2_names_and_reloads()
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name), RagTune.Engine.Kernels.WeightFormat.F32);
        string dir = Path.Combine(Path.GetTempPath(), "ragtune-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            HfCheckpointWriter.Save(dir, model, Fixtures.Dir(Name));
            using (var saved = Checkpoint.Open(dir))
            using (var source = Checkpoint.Open(Fixtures.Dir(Name)))
                Assert.Equal(source.Tensors.Select(t => t.Name).Order(), saved.Tensors.Select(t => t.Name).Order());
            int[] ids = Fixtures.Golden(Name).GetProperty("prompt_ids").Ints();
            var again = DecoderModel.Load(dir);
            Assert.Equal(model.CreateSession(64).Forward(ids).ToArray(), again.CreateSession(64).Forward(ids).ToArray());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
