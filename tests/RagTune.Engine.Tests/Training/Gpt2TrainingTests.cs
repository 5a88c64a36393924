// GPT-2 training against PyTorch (tools/reference/make_tiny_gpt2.py, float64 autograd): LoRA gradients on c_attn, c_proj
// and c_fc from a PEFT adapter saved with fan_in_fan_out (Conv1D), full fine-tune gradients of every weight (wte tied to the
// head, wpe, LayerNorm weights and biases; PyTorch's Conv1D gradients are [in, out]), and saves in PEFT's and GPT-2's layouts.
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class Gpt2TrainingTests
{
    private const string Name = "gpt2-tiny";
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(DecoderTrainingGoldenTests.Data("gpt2_golden.json"))).RootElement;

    [Fact]
    public void Lora_loss_and_gradients_on_c_attn_c_proj_c_fc_match_pytorch()
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        string dir = DecoderTrainingGoldenTests.Data(Name + "-lora");
        Assert.True(PeftAdapter.ReadConfig(dir).FanInFanOut);
        var adapters = PeftAdapter.Load(dir, model.LayerLinears);
        Assert.Equal(8, adapters.Modules.Count);
        var parameters = ParameterSet.ForAdapters(adapters);
        var graph = new DecoderTrainingGraph(model, parameters, adapters);

        double loss = graph.Batch(DecoderTrainingGoldenTests.Batch(Golden), backward: true);

        Assert.Equal(Golden.GetProperty("lora_loss").GetDouble(), loss, 1e-4);
        using var grads = SafeTensorFile.Open(DecoderTrainingGoldenTests.Data("gpt2_golden.safetensors"));
        Assert.Equal(16, parameters.Tensors.Count);
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
        using var grads = SafeTensorFile.Open(DecoderTrainingGoldenTests.Data("gpt2_golden.safetensors"));
        Assert.Equal(grads.Tensors.Count(t => t.Name.StartsWith("grad.", StringComparison.Ordinal)), parameters.Tensors.Count);
        var conv1D = model.LayerLinears.ToDictionary(l => l.Name + ".weight");
        foreach (var t in parameters.Tensors)
        {
            var expected = grads.ReadFloat32("grad." + t.Name);
            if (conv1D.TryGetValue(t.Name, out var lin))
                expected = Transpose(expected, lin.InFeatures, lin.OutFeatures);   // PyTorch's [in, out] → ours [out, in]
            DecoderTrainingGoldenTests.AssertClose(expected, t.Grad, 1e-3, t.Name);
        }
    }

    [Fact]
    public void All_targets_become_c_attn_c_proj_c_fc_saved_with_fan_in_fan_out()
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name));
        var options = new LoraOptions { Rank = 2, Alpha = 4 }.ForArchitecture(model.Config);
        var adapters = PeftAdapter.CreateNew(model.LayerLinears, options, new Random(5));
        Assert.Equal(8, adapters.Modules.Count);
        string dir = Path.Combine(Path.GetTempPath(), "ragtune-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            PeftAdapter.Save(dir, adapters, options, Fixtures.Dir(Name));
            var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, PeftAdapter.ConfigFileName))).RootElement;
            Assert.True(config.GetProperty("fan_in_fan_out").GetBoolean());
            Assert.Equal(["c_attn", "c_fc", "c_proj"], config.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
            using var file = SafeTensorFile.Open(Path.Combine(dir, PeftAdapter.WeightsFileName));
            // PEFT's LoRA on a Conv1D keeps lora_A [r, in] and lora_B [out, r], in_features/out_features from weight [in, out].
            Assert.Equal([2L, 32], file.Tensors.Single(t => t.Name == "base_model.model.transformer.h.0.mlp.c_fc.lora_A.weight").Shape);
            Assert.Equal([128L, 2], file.Tensors.Single(t => t.Name == "base_model.model.transformer.h.0.mlp.c_fc.lora_B.weight").Shape);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_full_checkpoint_is_saved_in_the_conv1d_layout_and_reloads()
    {
        var model = DecoderModel.Load(Fixtures.Dir(Name), RagTune.Engine.Kernels.WeightFormat.F32);
        string dir = Path.Combine(Path.GetTempPath(), "ragtune-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            HfCheckpointWriter.Save(dir, model, Fixtures.Dir(Name));
            using (var saved = Checkpoint.Open(dir))
            using (var source = Checkpoint.Open(Fixtures.Dir(Name)))
                foreach (var t in source.Tensors)
                {
                    Assert.Equal(t.Shape, saved.Info(t.Name).Shape);
                    Assert.Equal(source.ReadFloat32(t.Name), saved.ReadFloat32(t.Name));
                }
            int[] ids = Fixtures.Golden(Name).GetProperty("prompt_ids").Ints();
            Assert.Equal(model.CreateSession(64).Forward(ids).ToArray(), DecoderModel.Load(dir).CreateSession(64).Forward(ids).ToArray());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static float[] Transpose(float[] m, int rows, int cols)
    {
        var t = new float[m.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
