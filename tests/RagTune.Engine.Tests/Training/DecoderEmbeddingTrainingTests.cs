// Training a decoder embedder (qwen3-embed-tiny: Qwen3-Embedding's layout) and merging trained adapters back at load:
// the hidden-state backward through last-token pooling and normalisation against finite differences, the training forward
// against the inference embedder, `train embed` and LSR with LoRA on its projections, and for encoders and decoders alike
// that an adapter merged at load (TextEmbedder --adapter, or the adapter folder given as the model) embeds exactly as the
// training-time model did. Also: over-long training texts are cut to the model's positions instead of failing.
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class DecoderEmbeddingTrainingTests : IDisposable
{
    private const string Embedder = "qwen3-embed-tiny";
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-decoder-embed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static int[] Ids => Fixtures.Golden(Embedder).GetProperty("input_ids")[2].Ints();

    [Fact]
    public void The_training_forward_equals_the_inference_embedder()
    {
        using var embedder = DecoderEmbedder.Load(Fixtures.Dir(Embedder));
        var graph = EmbeddingModels.Graph(embedder, new ParameterSet());
        Kernels.KernelAgreementTests.AssertClose(embedder.Embed(Ids), graph.Forward(Ids), 1e-5f);
        Kernels.KernelAgreementTests.AssertClose(Fixtures.Golden(Embedder).GetProperty("embeddings")[2].Floats(), graph.Forward(Ids), 1e-5f);
    }

    [Fact]
    public void Lora_on_every_projection_matches_finite_differences_through_last_token_pooling()
    {
        using var embedder = DecoderEmbedder.Load(Fixtures.Dir(Embedder));
        var adapters = PeftAdapter.CreateNew(embedder.Projections, new LoraOptions { Rank = 2, Alpha = 4 }, new Random(3));
        foreach (var (_, ad) in adapters.Modules)
            for (int i = 0; i < ad.B.Length; i++) ad.B[i] = 0.1f * MathF.Sin(i + 1);   // non-zero B so A gets a gradient
        var parameters = ParameterSet.ForAdapters(adapters);
        Assert.Equal(2 * 2 * 7, parameters.Tensors.Count);   // 2 layers × q, k, v, o, gate, up, down
        var graph = EmbeddingModels.Graph(embedder, parameters, adapters);
        var r = DecoderPassesGradientTests.Random(embedder.Dimensions, 4);
        int[] ids = Ids[..8];
        double Objective() => graph.Forward(ids).Zip(r, (a, b) => (double)a * b).Sum();
        EncoderTrainingTests.CheckParameters(parameters, Objective, () => { graph.Forward(ids); graph.Backward(r); });
    }

    [Fact]
    public void Full_fine_tuning_of_a_decoder_embedder_is_refused_naming_lora()
    {
        var error = Assert.Throws<EngineException>(() => EmbeddingModels.LoadTrainable(Fixtures.Dir(Embedder), null, 1, out _, out _));
        Assert.Contains("config.json", error.Message);
        Assert.Contains("--lora", error.Message);
    }

    private string FlagEmbeddingData(params string[] symbols)
    {
        string data = Path.Combine(_dir, "train.jsonl");
        File.WriteAllLines(data, symbols.Select((s, i) => JsonSerializer.Serialize(new
        {
            query = "search " + s, pos = new[] { "document " + s + " is the model" },
            neg = new[] { "document " + symbols[(i + 1) % symbols.Length] + " is the model", "the lazy dog" },
        })));
        return data;
    }

    [Theory]
    [InlineData(Embedder)]
    [InlineData("bert-tiny-cls")]
    public async Task A_trained_adapter_merged_at_load_embeds_as_the_training_time_model(string fixture)
    {
        string model = Fixtures.Dir(fixture);
        var trainer = new EmbeddingTrainer(new EmbeddingTrainingOptions
        {
            ModelPath = model, DataPath = FlagEmbeddingData("a", "b", "c", "d"), OutputDirectory = Path.Combine(_dir, "run"),
            Lora = new LoraOptions { Rank = 4, Alpha = 8, TargetModules = EmbeddingModels.DefaultLoraTargets(model) },
            BatchSize = 2, GroupSize = 3, Temperature = 0.05f, LearningRate = 1e-2f, MaxSteps = 6, WeightDecay = 0,
        });
        var result = await trainer.RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(Path.Combine(_dir, "run", "adapter"), result.OutputPath);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(result.OutputPath, PeftAdapter.ConfigFileName))))
            Assert.Equal("FEATURE_EXTRACTION", config.RootElement.GetProperty("task_type").GetString());

        const string text = "search b";
        var trained = trainer.Embed(text);
        using var baseModel = TextEmbedder.Load(model);
        Assert.True(trained.Zip(baseModel.Embed(text), (x, y) => Math.Abs(x - y)).Max() > 1e-3, "training must have moved the embedding");
        using var merged = EmbeddingModels.LoadEmbedder(model, new TextEmbedderOptions { AdapterDirectory = result.OutputPath });
        Kernels.KernelAgreementTests.AssertClose(trained, merged.Embed(text), 1e-5f);
        // The adapter folder alone names its base (base_model_name_or_path) and loads as a model.
        using var byFolder = EmbeddingModels.LoadEmbedder(result.OutputPath);
        Kernels.KernelAgreementTests.AssertClose(trained, byFolder.Embed(text), 1e-5f);
    }

    [Fact]
    public async Task Over_long_training_texts_are_cut_to_the_model_positions()
    {
        // bert-tiny-cls has 64 positions; the default max length used to be 512, so this passage failed the step with
        // "… tokens: expected 1..64".
        string data = Path.Combine(_dir, "long.jsonl");
        string longPassage = string.Join(' ', Enumerable.Repeat("hello world", 80));
        File.WriteAllLines(data, new[] { "a", "b" }.Select(s => JsonSerializer.Serialize(new
        {
            query = "search " + s, pos = new[] { longPassage + " " + s }, neg = new[] { "the lazy dog" },
        })));
        var trainer = new EmbeddingTrainer(new EmbeddingTrainingOptions
        {
            ModelPath = Fixtures.Dir("bert-tiny-cls"), DataPath = data, OutputDirectory = Path.Combine(_dir, "long"),
            Lora = new LoraOptions { Rank = 2, TargetModules = EmbeddingModels.EncoderLoraTargets }, BatchSize = 2, GroupSize = 2, MaxSteps = 2,
        });
        Assert.Equal(64, trainer.MaxLength);
        Assert.Equal(2, trainer.TruncatedTexts);
        var result = await trainer.RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(2, result.Steps);
        Assert.All(result.Losses, l => Assert.True(double.IsFinite(l)));
    }

    [Fact]
    public async Task Lsr_trains_lora_on_a_decoder_embedder_query_side()
    {
        string data = Path.Combine(_dir, "lsr.jsonl");
        File.WriteAllLines(data, new[] { "a", "b" }.Select(s => JsonSerializer.Serialize(new
        {
            query = "search " + s, answer = "model " + s, chunks = new[] { "document " + s + " is the model", "the lazy dog", "hello world" },
        })));
        var trainer = new LsrTrainer(new LsrTrainingOptions
        {
            GeneratorPath = Fixtures.Dir("qwen2-tiny"), RetrieverPath = Fixtures.Dir(Embedder), DataPath = data,
            OutputDirectory = Path.Combine(_dir, "lsr"), LearningRate = 1e-2f, WeightDecay = 0, Epochs = 4,
            UserTurn = (chunk, query) => "<DOCUMENT>" + chunk + "</DOCUMENT>\n" + query,
            Lora = new LoraOptions { Rank = 4, Alpha = 8, TargetModules = EmbeddingModels.DefaultLoraTargets(Fixtures.Dir(Embedder)) },
        });
        Assert.IsType<DecoderEmbedder>(trainer.QueryEncoder);
        var result = await trainer.RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(8, result.Steps);
        Assert.True(result.Losses.TakeLast(2).Average() < result.Losses.Take(2).Average(), string.Join(", ", result.Losses));
        Assert.Equal(Path.Combine(_dir, "lsr", "query_adapter"), result.OutputPath);
        using var merged = EmbeddingModels.LoadEmbedder(Fixtures.Dir(Embedder), new TextEmbedderOptions { AdapterDirectory = result.OutputPath });
        Assert.Equal(48, merged.Embed("search a").Length);
    }
}
