// The decoder backward against PyTorch (tools/reference/train_golden.py): LoRA gradients on the tiny Qwen2, full gradients
// on the tiny Qwen3 (q/k norms, untied head), both computed by autograd in float64; and the first 10 AdamW losses in fp32.
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class DecoderTrainingGoldenTests
{
    internal static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "training", name);

    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Data("golden.json"))).RootElement;

    internal static List<TokenizedExample> Batch(JsonElement section) =>
        section.GetProperty("batch").EnumerateArray().Select(e => new TokenizedExample(
            e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            e.GetProperty("labels").EnumerateArray().Select(x => x.GetInt32()).ToArray())).ToList();

    /// <summary>max |a − b| ≤ tol · max |b|: gradients are compared relative to their scale.</summary>
    internal static void AssertClose(float[] expected, Span<float> actual, double tol, string name)
    {
        double maxRef = expected.Max(MathF.Abs), maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - actual[i]));
        Assert.True(maxRef > 0, $"{name}: reference gradient is all zero");
        Assert.True(maxDiff <= tol * maxRef, $"{name}: max diff {maxDiff:g4} vs max |ref| {maxRef:g4}");
    }

    [Fact]
    public void LoraLossAndGradientsMatchPyTorch()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var adapters = PeftAdapter.Load(Data("qwen2-tiny-lora"), model.LayerLinears);
        Assert.Equal(4, PeftAdapter.ReadConfig(Data("qwen2-tiny-lora")).Rank);
        Assert.Equal(14, adapters.Modules.Count);
        var parameters = ParameterSet.ForAdapters(adapters);
        var graph = new DecoderTrainingGraph(model, parameters, adapters);
        var lora = Golden.GetProperty("lora");

        double loss = graph.Batch(Batch(lora), backward: true);

        Assert.Equal(lora.GetProperty("loss").GetDouble(), loss, 1e-4);
        using var grads = SafeTensorFile.Open(Data("qwen2_lora_grads.safetensors"));
        Assert.Equal(28, parameters.Tensors.Count);
        foreach (var t in parameters.Tensors)
            AssertClose(grads.ReadFloat32(t.Name), t.Grad, 1e-3, t.Name);
    }

    [Fact]
    public void FullFineTuneGradientsMatchPyTorch()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny"));
        var parameters = ParameterSet.ForAllWeights(model);
        var graph = new DecoderTrainingGraph(model, parameters);
        var full = Golden.GetProperty("full");

        double loss = graph.Batch(Batch(full), backward: true);

        Assert.Equal(full.GetProperty("loss").GetDouble(), loss, 1e-4);
        using var grads = SafeTensorFile.Open(Data("qwen3_full_golden.safetensors"));
        Assert.Equal(grads.Tensors.Count, parameters.Tensors.Count);
        foreach (var t in parameters.Tensors)
            AssertClose(grads.ReadFloat32("grad." + t.Name), t.Grad, 1e-3, t.Name);
    }

    [Fact]
    public void FirstTenAdamWLossesMatchTorchOptim()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var adapters = PeftAdapter.Load(Data("qwen2-tiny-lora"), model.LayerLinears);
        var parameters = ParameterSet.ForAdapters(adapters);
        var graph = new DecoderTrainingGraph(model, parameters, adapters);
        var lora = Golden.GetProperty("lora");
        var batch = Batch(lora);
        var optimizer = new AdamW(parameters, 0.9f, 0.999f, 1e-8f, weightDecay: 0.1f);
        var expected = lora.GetProperty("adamw_losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        for (int step = 0; step < expected.Length; step++)
        {
            parameters.ZeroGrad();
            double loss = graph.Batch(batch, backward: true);
            Assert.True(Math.Abs(expected[step] - loss) <= 2e-4 * Math.Max(1, expected[step]),
                $"step {step}: loss {loss} vs torch {expected[step]}");
            optimizer.Update(1e-2f);
        }
    }
}
