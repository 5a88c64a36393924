// Sequence packing: a row of several examples gives the loss and gradients of the examples run apart (attention within
// each, positions restarting, no loss across a boundary), the packer's rows, the trainer's --pack, and recomputation
// switching itself on for long sequences with unchanged gradients.
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;
using static RagTune.Engine.Tests.Training.DecoderTrainingGoldenTests;

namespace RagTune.Engine.Tests.Training;

public sealed class PackingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-pack-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<TokenizedExample> GoldenBatch() =>
        Batch(System.Text.Json.JsonDocument.Parse(File.ReadAllText(Data("golden.json"))).RootElement.GetProperty("lora"));

    /// <summary>Examples of the given lengths with random ids and the loss on their second half (the "answer").</summary>
    private static List<TokenizedExample> Examples(int vocab, int seed, params int[] lengths)
    {
        var rng = new Random(seed);
        return lengths.Select(n =>
        {
            var ids = Enumerable.Range(0, n).Select(_ => rng.Next(vocab)).ToArray();
            var labels = ids.Select((id, i) => i >= n / 2 ? id : TokenizedExample.IgnoreIndex).ToArray();
            return new TokenizedExample(ids, labels);
        }).ToList();
    }

    private static void AssertSameGradients(ParameterSet expected, ParameterSet actual, double tol)
    {
        for (int i = 0; i < expected.Tensors.Count; i++)
            if (expected.Tensors[i].Grad.ToArray().Any(g => g != 0))
                AssertClose(expected.Tensors[i].Grad.ToArray(), actual.Tensors[i].Grad, tol, expected.Tensors[i].Name);
    }

    [Fact]
    public void APackedRowHasTheLossAndLoraGradientsOfItsExamplesApart()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var batch = GoldenBatch().Concat(Examples(model.Config.VocabSize, 1, 9, 300)).ToList();
        (double, ParameterSet) Run(List<TokenizedExample> rows)
        {
            var adapters = PeftAdapter.Load(Data("qwen2-tiny-lora"), model.LayerLinears);
            var parameters = ParameterSet.ForAdapters(adapters);
            return (new DecoderTrainingGraph(model, parameters, adapters).Batch(rows, backward: true), parameters);
        }
        var (apart, expected) = Run(batch);
        var packed = TokenizedExample.Pack(batch, 4096);

        Assert.Single(packed);
        Assert.Equal(batch.Count, packed[0].Starts.Length);
        var (together, actual) = Run(packed);
        Assert.Equal(apart, together, 1e-5);
        AssertSameGradients(expected, actual, 1e-4);
    }

    [Fact]
    public void APackedRowHasTheFullFineTuneGradientsOfItsExamplesApart()
    {
        // Qwen3: q/k norms, untied head, embeddings trained too.
        using var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny"));
        var batch = Examples(model.Config.VocabSize, 2, 5, 17, 60);
        (double, ParameterSet) Run(List<TokenizedExample> rows)
        {
            var parameters = ParameterSet.ForAllWeights(model);
            return (new DecoderTrainingGraph(model, parameters).Batch(rows, backward: true), parameters);
        }
        var (apart, expected) = Run(batch);
        var (together, actual) = Run(TokenizedExample.Pack(batch, 82));
        Assert.Equal(apart, together, 1e-5);
        AssertSameGradients(expected, actual, 1e-4);
    }

    [Fact]
    public void PackingFillsRowsFirstFitAndMasksTheBoundaries()
    {
        var examples = Examples(100, 3, 6, 5, 3, 8, 2);
        var rows = TokenizedExample.Pack(examples, 10);

        // 6+3 | 5+2 | 8 (first fit in order: 5 does not fit after 6, 3 does, 8 fits nowhere, 2 fits after 5).
        Assert.Equal([[0, 6], [0, 5], [0]], rows.Select(r => r.Starts).ToArray());
        Assert.Equal([9, 7, 8], rows.Select(r => r.Ids.Length).ToArray());
        Assert.Equal(examples.Sum(e => e.TargetCount), rows.Sum(r => r.TargetCount));
        // The last token of the first example predicts nothing: its next token starts the other example.
        Assert.Equal(-1, rows[0].Targets()[5]);
        Assert.Equal(examples[0].Targets()[..5], rows[0].Targets()[..5]);
        Assert.Equal(examples[2].Targets(), rows[0].Targets()[6..]);
    }

    [Fact]
    public void BadExampleStartsAreRefusedNamingThem()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var parameters = ParameterSet.ForAllWeights(model);
        var graph = new DecoderTrainingGraph(model, parameters);
        var row = Examples(model.Config.VocabSize, 4, 8)[0] with { Starts = [0, 5, 3] };
        var ex = Assert.Throws<EngineException>(() => graph.Batch([row], backward: false));
        Assert.Contains("[0, 5, 3]", ex.Message);
    }

    [Fact]
    public async Task TrainerPacksWhenAskedAndRecordsIt()
    {
        var ct = TestContext.Current.CancellationToken;
        string data = SftTrainerTests.WriteChatData(_dir);
        SftTrainingOptions Options(bool pack) => new()
        {
            ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = data, OutputDirectory = Path.Combine(_dir, pack ? "packed" : "apart"),
            MaxSteps = 1, LearningRate = 1e-2f, Lora = new LoraOptions { Rank = 4, Alpha = 8 }, MaxLength = 512, Pack = pack,
        };
        var apart = new SftTrainer(Options(false));
        var packed = new SftTrainer(Options(true));
        Assert.Equal(SftTrainerTests.Facts.Length, apart.TrainSamples);
        Assert.Equal(1, packed.TrainSamples);
        Assert.Equal("True", packed.Settings()["pack"]);
        var result = await packed.RunAsync(cancellationToken: ct);
        Assert.True(double.IsFinite(result.Losses.Single()));
    }

    [Fact]
    public void RecomputationTurnsItselfOnForLongSequencesWithTheSameGradients()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var example = Examples(model.Config.VocabSize, 5, DecoderTrainingGraph.AutoRecomputeTokens + 37);
        var saved = ParameterSet.ForAllWeights(model);
        var savedGraph = new DecoderTrainingGraph(model, saved) { RecomputeActivations = false };
        double lossSaved = savedGraph.Batch(example, backward: true);
        var auto = ParameterSet.ForAllWeights(model);
        var autoGraph = new DecoderTrainingGraph(model, auto);
        autoGraph.Batch(Examples(model.Config.VocabSize, 6, 40), backward: false);
        Assert.False(autoGraph.Recomputing);

        double lossAuto = autoGraph.Batch(example, backward: true);

        Assert.True(autoGraph.Recomputing);
        Assert.False(savedGraph.Recomputing);
        Assert.Equal(lossSaved, lossAuto, 1e-6);
        AssertSameGradients(saved, auto, 1e-5);
    }
}
