// PEFT adapter files: what we write has PEFT's layout; the adapter written by the Python reference in PEFT's layout loads;
// inference through the unmerged adapter equals inference on the merged HF checkpoint and the training forward.
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class PeftAdapterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-peft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly int[] Prompt = [3, 17, 250, 44, 91, 7, 300, 12];

    private static float[] Logits(DecoderModel model, AdapterSet? adapters = null)
    {
        var logits = new float[Prompt.Length * model.Config.VocabSize];
        model.CreateSession(32, adapters: adapters).ForwardAll(Prompt, logits);
        return logits;
    }

    [Fact]
    public void SavedAdapterHasPeftLayoutAndRoundTrips()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var options = new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0.05f, TargetModules = ["q_proj", "v_proj"] };
        var adapters = PeftAdapter.CreateNew(model.LayerLinears, options, new Random(1));
        PeftAdapter.Save(_dir, adapters, options, "Qwen/Qwen2.5-0.5B-Instruct");

        string json = File.ReadAllText(Path.Combine(_dir, PeftAdapter.ConfigFileName));
        using var doc = JsonDocument.Parse(json);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);
        Assert.Contains("\n  \"bias\": \"none\",", json);
        Assert.Equal("LORA", doc.RootElement.GetProperty("peft_type").GetString());
        Assert.Equal("CAUSAL_LM", doc.RootElement.GetProperty("task_type").GetString());
        Assert.False(doc.RootElement.GetProperty("use_dora").GetBoolean());
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("modules_to_save").ValueKind);
        using var st = SafeTensorFile.Open(Path.Combine(_dir, PeftAdapter.WeightsFileName));
        Assert.Equal("pt", st.Metadata["format"]);
        Assert.Equal(8, st.Tensors.Count);
        Assert.Equal([2L, 64], st.Info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").Shape);
        Assert.Equal([32L, 2], st.Info("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").Shape);
        Assert.All(st.ReadFloat32("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"), b => Assert.Equal(0f, b));

        var again = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var read = PeftAdapter.Load(_dir, again.LayerLinears);
        Assert.Equal(options.TargetModules.Order(), PeftAdapter.ReadConfig(_dir).TargetModules);
        Assert.Equal(adapters.For(model.Layers[1].VProj!)!.A, read.For(again.Layers[1].VProj!)!.A);
        Assert.Null(read.For(again.Layers[0].KProj!));
        Assert.Equal(adapters.Modules.Select(m => m.Key), read.Modules.Select(m => m.Key));
    }

    [Fact]
    public void MergedCheckpointGivesTheLogitsOfTheUnmergedAdapter()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var baseLogits = Logits(model);
        var adapters = PeftAdapter.Load(DecoderTrainingGoldenTests.Data("qwen2-tiny-lora"), model.LayerLinears);
        var unmerged = Logits(model, adapters);
        Assert.True(unmerged.Zip(baseLogits).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "the adapter changes nothing");
        Assert.Equal(baseLogits, Logits(model));   // loading an adapter leaves the shared model as it was

        Assert.Equal(14, adapters.MergeInto(model.LayerLinears));
        string merged = Path.Combine(_dir, "merged");
        HfCheckpointWriter.Save(merged, model, Fixtures.Dir("qwen2-tiny"));
        Assert.True(File.Exists(Path.Combine(merged, "tokenizer.json")));
        Assert.True(File.Exists(Path.Combine(merged, "config.json")));
        using (var st = SafeTensorFile.Open(Path.Combine(merged, Checkpoint.SingleFileName)))
            Assert.False(st.Contains("lm_head.weight"));   // tied, as save_pretrained omits it
        var mergedLogits = Logits(DecoderModel.Load(merged));
        for (int i = 0; i < unmerged.Length; i++)
            Assert.Equal(unmerged[i], mergedLogits[i], 1e-4f);
    }

    [Fact]
    public void BadAdapterFilesFailWithClearErrors()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var ex = Assert.Throws<EngineException>(() => PeftAdapter.Load(_dir, model.LayerLinears));
        Assert.Contains("adapter_config.json is missing", ex.Message);

        var llama = DecoderModel.Load(Fixtures.Dir("llama-tiny"));
        ex = Assert.Throws<EngineException>(() => PeftAdapter.Load(DecoderTrainingGoldenTests.Data("qwen2-tiny-lora"), llama.LayerLinears));
        Assert.Contains("has shape [", ex.Message);
        Assert.Contains("], expected [", ex.Message);
    }

    [Fact]
    public void AnAdapterFolderLoadsWithoutItsModelAndSavesItsWeightsAlone()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var options = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"] };
        var adapters = PeftAdapter.CreateNew(model.LayerLinears, options, new Random(2));
        foreach (var (_, ad) in adapters.Modules) ad.B.AsSpan().Fill(0.25f);
        PeftAdapter.Save(_dir, adapters, options, "tiny");

        var read = PeftAdapter.Load(_dir);
        Assert.Equal(adapters.Modules.Select(m => m.Key).Order(StringComparer.Ordinal), read.Modules.Select(m => m.Key));
        foreach (var (module, ad) in read.Modules)
        {
            var original = adapters.Modules.Single(m => m.Key == module).Value;
            Assert.Equal((original.InFeatures, original.OutFeatures, original.Rank, original.Scale), (ad.InFeatures, ad.OutFeatures, ad.Rank, ad.Scale));
            Assert.Equal(original.A, ad.A);
            Assert.Equal(original.B, ad.B);
        }
        // SaveWeights rewrites the weights and leaves adapter_config.json as it was.
        string config = File.ReadAllText(Path.Combine(_dir, PeftAdapter.ConfigFileName));
        string copy = Path.Combine(_dir, "copy");
        Directory.CreateDirectory(copy);
        File.WriteAllText(Path.Combine(copy, PeftAdapter.ConfigFileName), config);
        PeftAdapter.SaveWeights(copy, read);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, PeftAdapter.WeightsFileName)), File.ReadAllBytes(Path.Combine(copy, PeftAdapter.WeightsFileName)));
        Assert.Equal(config, File.ReadAllText(Path.Combine(copy, PeftAdapter.ConfigFileName)));
    }

    [Fact]
    public void TensorsThatAreNotAWholeLoraAdapterAreRefusedNamingTheTensor()
    {
        var options = new LoraOptions { Rank = 2 };
        const string A = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight", B = "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight";
        string Error(params (string, int, int, float[])[] tensors) =>
            Assert.Throws<EngineException>(() => PeftAdapter.FromTensors(tensors, options, "site")).Message;

        Assert.Equal($"site: module 'model.layers.0.self_attn.q_proj' has only lora_A, expected both lora_A and lora_B", Error((A, 2, 3, new float[6])));
        Assert.Equal($"site: tensor '{B}' has shape [4, 3], expected r = 2 as its second dimension", Error((A, 2, 3, new float[6]), (B, 4, 3, new float[12])));
        Assert.Equal($"site: tensor 'q_proj.weight' is not a LoRA weight (expected base_model.model.<module>.lora_A.weight or .lora_B.weight)",
            Error(("q_proj.weight", 2, 3, new float[6])));
        Assert.Equal($"site: tensor '{A}' appears twice", Error((A, 2, 3, new float[6]), (A, 2, 3, new float[6])));
        var set = PeftAdapter.FromTensors([(B, 4, 2, new float[8]), (A, 2, 3, new float[6])], options, "site");
        Assert.Equal((3, 4, 2), (set.Modules.Single().Value.InFeatures, set.Modules.Single().Value.OutFeatures, set.Modules.Single().Value.Rank));
    }
}
