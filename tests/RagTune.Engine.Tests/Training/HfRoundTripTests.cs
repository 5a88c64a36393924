// What RagTune saves, loaded by the reference: tools/reference/hf_roundtrip.sh fine-tunes the tiny fixtures with the CLI
// (full Qwen2 / Qwen3 / LLaMA, a LoRA adapter on Qwen2 and its merge, LSR query encoders full and LoRA) into
// TestData/training/hf-roundtrip/, and hf_roundtrip.py loads those folders as transformers / PEFT / sentence-transformers
// would and writes logits of fixed ids and embeddings of fixed texts to golden.json.
// Here: our engine gives the same outputs from the same folders (adapters unmerged, and merged), and today's trainer
// still writes those files, so the fixture speaks for the current writer.
using System.Text.Json;
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class HfRoundTripTests : IDisposable
{
    // fp32 PyTorch vs fp32 here differ only in summation order (~1e-6 on logits of magnitude ~10).
    private const float LogitTolerance = 1e-4f;

    private static readonly string Root = Path.Combine(AppContext.BaseDirectory, "TestData", "training", "hf-roundtrip");

    private static readonly Lazy<JsonElement> Golden = new(() =>
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Root, "golden.json")));
        return doc.RootElement.Clone();
    });

    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-roundtrip-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertLogits(DecoderModel model, JsonElement expectedRows, string what, AdapterSet? adapters = null)
    {
        int[] ids = Golden.Value.GetProperty("ids").Ints();
        int v = model.Config.VocabSize;
        var logits = new float[ids.Length * v];
        model.CreateSession(capacity: 32, adapters: adapters).ForwardAll(ids, logits);
        var rows = expectedRows.EnumerateArray().ToArray();
        Assert.Equal(ids.Length, rows.Length);
        double maxDiff = 0;
        for (int t = 0; t < ids.Length; t++)
        {
            var expected = rows[t].Floats();
            Assert.Equal(v, expected.Length);
            for (int i = 0; i < v; i++)
                maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - logits[t * v + i]));
        }
        Assert.True(maxDiff < LogitTolerance, $"{what}: max |Δlogit| = {maxDiff}");
    }

    [Theory]
    [InlineData("qwen2-full", true)]
    [InlineData("qwen3-full", false)]
    [InlineData("llama-full", false)]
    public void SavedFullCheckpointGivesTheReferenceLogits(string name, bool tied)
    {
        var checks = Golden.Value.GetProperty(name).GetProperty("checks");
        Assert.Equal(tied, checks.GetProperty("tied_lm_head").GetBoolean());
        Assert.Equal(["F32"], checks.GetProperty("dtypes").EnumerateArray().Select(e => e.GetString()));
        // The reference refuses a fixture whose fine-tune moved no weight; the threshold is restated here.
        Assert.True(checks.GetProperty("max_abs_weight_change").GetDouble() > 1e-3);
        AssertLogits(DecoderModel.Load(Path.Combine(Root, name)), Golden.Value.GetProperty(name).GetProperty("logits"), name);
    }

    [Fact]
    public void PeftAdapterUnmergedAndMergedGiveTheReferenceLogits()
    {
        var lora = Golden.Value.GetProperty("qwen2-lora");
        Assert.Equal(2.0, lora.GetProperty("checks").GetProperty("scaling").GetDouble());   // lora_alpha 8 / r 4

        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var options = PeftAdapter.ReadConfig(Path.Combine(Root, "qwen2-lora"));
        var adapters = PeftAdapter.Load(Path.Combine(Root, "qwen2-lora"), model.LayerLinears);
        Assert.Equal((4, 8f), (options.Rank, options.Alpha));
        AssertLogits(model, lora.GetProperty("unmerged_logits"), "adapter applied unmerged", adapters);

        AssertLogits(DecoderModel.Load(Path.Combine(Root, "qwen2-lora-merged")), lora.GetProperty("merged_logits"), "our merged checkpoint");
    }

    [Fact]
    public void LsrQueryEncoderAndAdapterGiveTheReferenceEmbeddings()
    {
        var full = Golden.Value.GetProperty("bert-lsr-full");
        Assert.True(full.GetProperty("checks").GetProperty("pooler_unchanged").GetBoolean());
        AssertEmbeddings(BertEncoder.Load(Path.Combine(Root, "bert-lsr-full")), full.GetProperty("input_ids"), full.GetProperty("embeddings"));

        var lora = Golden.Value.GetProperty("bert-lsr-lora");
        Assert.Equal("FEATURE_EXTRACTION", lora.GetProperty("checks").GetProperty("task_type").GetString());
        var encoder = BertEncoder.Load(Fixtures.Dir("bert-tiny-cls"));
        var adapters = PeftAdapter.Load(Path.Combine(Root, "bert-lsr-lora"), EncoderTrainingGraph.EncoderLinears(encoder));
        AssertEmbeddings(encoder, lora.GetProperty("input_ids"), lora.GetProperty("unmerged_embeddings"), adapters);
    }

    private static void AssertEmbeddings(BertEncoder encoder, JsonElement ids, JsonElement expected, AdapterSet? adapters = null)
    {
        var texts = ids.EnumerateArray().Select(e => e.Ints()).ToArray();
        var rows = expected.EnumerateArray().Select(e => e.Floats()).ToArray();
        Assert.Equal(texts.Length, rows.Length);
        for (int b = 0; b < texts.Length; b++)
            Kernels.KernelAgreementTests.AssertClose(rows[b], encoder.Embed(texts[b], adapters), 1e-5f);
    }

    /// <summary>hf_roundtrip.sh's CLI flags as options: --batch-size 2 --grad-accum 1 --max-steps 8 --lr 0.01 --warmup-steps 0
    /// --scheduler constant --seed 42 (the rest at the CLI's defaults, which equal the options' defaults).</summary>
    private SftTrainingOptions ScriptOptions(string model, string run) => new()
    {
        ModelPath = Fixtures.Dir(model), DataPath = Path.Combine(Root, "train.jsonl"), OutputDirectory = Path.Combine(_dir, run),
        BatchSize = 2, GradientAccumulationSteps = 1, MaxSteps = 8, LearningRate = 0.01f, WarmupSteps = 0,
        Decay = LearningRateDecay.Constant, Seed = 42,
    };

    [Fact]
    public async Task TodaysTrainerStillWritesTheCheckedFiles()
    {
        var ct = TestContext.Current.CancellationToken;
        var full = await new SftTrainer(ScriptOptions("qwen2-tiny", "full") with { FullFineTune = true }).RunAsync(cancellationToken: ct);
        Assert.Equal(File.ReadAllBytes(Path.Combine(Root, "qwen2-full", "config.json")), File.ReadAllBytes(Path.Combine(full.OutputPath, "config.json")));
        AssertSameTensors(Path.Combine(Root, "qwen2-full", "model.safetensors"), Path.Combine(full.OutputPath, "model.safetensors"));

        var lora = await new SftTrainer(ScriptOptions("qwen2-tiny", "lora") with
        {
            Lora = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 },
        }).RunAsync(cancellationToken: ct);
        JsonNode Config(string dir)
        {
            var node = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, PeftAdapter.ConfigFileName)))!;
            node.AsObject().Remove("base_model_name_or_path");   // an absolute path of the machine that trained
            return node;
        }
        Assert.Equal(Config(Path.Combine(Root, "qwen2-lora")).ToJsonString(), Config(lora.OutputPath).ToJsonString());
        AssertSameTensors(Path.Combine(Root, "qwen2-lora", PeftAdapter.WeightsFileName), Path.Combine(lora.OutputPath, PeftAdapter.WeightsFileName));

        // `train lsr --epochs 5 --lr 0.003 --seed 42`, the rest at defaults.
        var lsr = await new LsrTrainer(new LsrTrainingOptions
        {
            GeneratorPath = Fixtures.Dir("qwen2-tiny"), RetrieverPath = Fixtures.Dir("bert-tiny-mean"), DataPath = Path.Combine(Root, "lsr.jsonl"),
            OutputDirectory = Path.Combine(_dir, "lsr"), Epochs = 5, LearningRate = 0.003f, Seed = 42,
            UserTurn = (chunk, query) => "<DOCUMENT>" + chunk + "</DOCUMENT>\n" + query,
        }).RunAsync(cancellationToken: ct);
        AssertSameTensors(Path.Combine(Root, "bert-lsr-full", "model.safetensors"), Path.Combine(lsr.OutputPath, "model.safetensors"));
    }

    /// <summary>Same names, dtypes, shapes and metadata; values equal up to summation-order noise. Adam magnifies that
    /// noise wherever a gradient is tiny (8 steps at lr 0.01 move a weight by up to 0.08; a wrong gradient shows at that
    /// scale), so after the blocked-GEMM attention changed the order of sums the full fine-tunes differ by up to ~8e-4
    /// (Qwen's k_proj bias, whose gradient is small).
    /// BERT's key bias is not compared: softmax ignores a shift of all scores, so its gradient is 0 up to rounding and
    /// Adam turns that rounding into ±lr steps; it has no effect on the outputs.</summary>
    private static void AssertSameTensors(string expectedPath, string actualPath)
    {
        using var expected = SafeTensorFile.Open(expectedPath);
        using var actual = SafeTensorFile.Open(actualPath);
        Assert.Equal(expected.Metadata, actual.Metadata);
        Assert.Equal(expected.Tensors.Select(t => t.ToString()).Order(), actual.Tensors.Select(t => t.ToString()).Order());
        foreach (var info in expected.Tensors)
        {
            if (info.Name.EndsWith(".attention.self.key.bias", StringComparison.Ordinal)) continue;
            float[] e = expected.ReadFloat32(info.Name), a = actual.ReadFloat32(info.Name);
            double maxDiff = e.Zip(a, (x, y) => Math.Abs(x - y)).Max();
            Assert.True(maxDiff < 2e-3, $"{info.Name}: max |Δ| = {maxDiff}");
        }
    }
}
