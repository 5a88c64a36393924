// The memory-saving paths of training give the same numbers as the plain ones: weights read in place from the mapped
// checkpoint (copied only when written), logits in chunks, activation recomputation, and LoRA over a bf16 or q8 base.
using System.Security.Cryptography;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;
using static RagTune.Engine.Tests.Training.DecoderTrainingGoldenTests;

namespace RagTune.Engine.Tests.Training;

public sealed class TrainingMemoryTests
{
    private static readonly List<TokenizedExample> GoldenBatch =
        Batch(System.Text.Json.JsonDocument.Parse(File.ReadAllText(Data("golden.json"))).RootElement.GetProperty("lora"));

    private static IEnumerable<WeightMatrix> Matrices(DecoderModel model) =>
        ParameterSet.DecoderLinears(model).Select(l => l.Weight).Append(model.EmbedTokens).Append(model.LmHead.Weight).Distinct();

    /// <summary>LoRA gradients of one batch (the golden adapter from PyTorch attached, dropout as given).</summary>
    private static (double Loss, ParameterSet Parameters) LoraGradients(DecoderModel model, bool recompute = false, int chunk = 64,
        float dropout = 0)
    {
        var loaded = PeftAdapter.Load(Data("qwen2-tiny-lora"), model.LayerLinears);
        var adapters = new AdapterSet(loaded.Modules.Select(m => KeyValuePair.Create(m.Key,
            new LoraAdapter(m.Value.InFeatures, m.Value.OutFeatures, m.Value.Rank, m.Value.Scale * m.Value.Rank, false, dropout, m.Value.A, m.Value.B))), "golden");
        var parameters = ParameterSet.ForAdapters(adapters);
        var graph = new DecoderTrainingGraph(model, parameters, adapters) { RecomputeActivations = recompute, LossChunkTokens = chunk };
        return (graph.Batch(GoldenBatch, backward: true), parameters);
    }

    private static void AssertSameGradients(ParameterSet expected, ParameterSet actual, double tol)
    {
        Assert.Equal(expected.Tensors.Count, actual.Tensors.Count);
        for (int i = 0; i < expected.Tensors.Count; i++)
        {
            Assert.Equal(expected.Tensors[i].Name, actual.Tensors[i].Name);
            AssertClose(expected.Tensors[i].Grad, actual.Tensors[i].Grad, tol, expected.Tensors[i].Name);
        }
    }

    [Fact]
    public void LoraTrainingReadsTheFloat32BaseInPlace()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        Assert.All(Matrices(model), w => Assert.True(w.IsMapped));

        var (loss, parameters) = LoraGradients(model);
        new AdamW(parameters).Update(1e-3f);

        Assert.True(loss > 0);
        Assert.All(Matrices(model), w => Assert.True(w.IsMapped, "a frozen base weight was copied"));
        Assert.All(Matrices(model), w => Assert.Null(w.OwnedFloat32));
    }

    [Fact]
    public void BF16CheckpointIsReadInPlaceAsBF16()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny-bf16"));
        Assert.All(Matrices(model), w => Assert.Equal(WeightFormat.BF16, w.Format));
        Assert.All(Matrices(model), w => Assert.True(w.IsMapped));
        var ex = Assert.Throws<EngineException>(() => model.EmbedTokens.WritableFloat32());
        Assert.Contains("BF16", ex.Message);
    }

    [Fact]
    public void WritingAWeightCopiesItAndLeavesTheCheckpointFileUnchanged()
    {
        string dir = Fixtures.Dir("qwen2-tiny");
        string file = Path.Combine(dir, Checkpoint.SingleFileName);
        byte[] before = SHA256.HashData(File.ReadAllBytes(file));
        using var model = DecoderModel.Load(dir);
        var q = model.Layers[0].QProj!.Weight;
        float original = q.Float32[5];

        var writable = q.WritableFloat32();
        writable[5] += 1f;

        Assert.False(q.IsMapped);
        Assert.Same(writable, q.WritableFloat32());
        Assert.Equal(original + 1f, q.Float32[5]);
        var x = new float[q.Cols];
        x[5] = 1f;
        var y = new float[q.Rows];
        q.Multiply(x, default, y, 1);
        Assert.Equal(original + 1f, y[0]);   // the forward reads the private copy
        using var fresh = DecoderModel.Load(dir);
        Assert.Equal(original, fresh.Layers[0].QProj!.Weight.Float32[5]);
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(file)));
    }

    [Fact]
    public void DisposedModelRefusesToReadItsMappedWeights()
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var embed = model.EmbedTokens;
        model.Dispose();

        var ex = Assert.Throws<ObjectDisposedException>(() => embed.ReadRow(0, new float[embed.Cols]));
        Assert.Contains("model.safetensors", ex.Message);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.3f)]   // dropout: the recomputed forward must draw the same masks
    public void RecomputationGivesTheSameLoraGradients(float dropout)
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        var (loss, saved) = LoraGradients(model, dropout: dropout);
        var (lossRecomputed, recomputed) = LoraGradients(model, recompute: true, dropout: dropout);

        Assert.Equal(loss, lossRecomputed);
        AssertSameGradients(saved, recomputed, 1e-6);
    }

    [Fact]
    public void RecomputationGivesTheSameFullGradients()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny"));
        var saved = ParameterSet.ForAllWeights(model);
        var recomputed = ParameterSet.ForAllWeights(model);
        double loss = new DecoderTrainingGraph(model, saved).Batch(GoldenBatch, backward: true);
        double lossRecomputed = new DecoderTrainingGraph(model, recomputed) { RecomputeActivations = true }.Batch(GoldenBatch, backward: true);

        Assert.Equal(loss, lossRecomputed);
        AssertSameGradients(saved, recomputed, 1e-6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void LossInChunksMatchesOneChunk(int chunk)
    {
        // qwen3-tiny has an untied lm_head: its full gradient accumulates over the chunks.
        using var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny"));
        var whole = ParameterSet.ForAllWeights(model);
        var chunked = ParameterSet.ForAllWeights(model);
        double loss = new DecoderTrainingGraph(model, whole) { LossChunkTokens = 4096 }.Batch(GoldenBatch, backward: true);
        double lossChunked = new DecoderTrainingGraph(model, chunked) { LossChunkTokens = chunk }.Batch(GoldenBatch, backward: true);

        Assert.Equal(loss, lossChunked, 1e-9);
        AssertSameGradients(whole, chunked, 1e-6);
    }

    [Fact]
    public void FullyMaskedRowsCarryNoLossOrGradient()
    {
        using var model = DecoderModel.Load(Fixtures.Dir("qwen3-tiny"));
        var parameters = ParameterSet.ForAllWeights(model);
        var graph = new DecoderTrainingGraph(model, parameters) { LossChunkTokens = 2 };
        var ids = GoldenBatch[0].Ids;
        var masked = Enumerable.Repeat(-1, ids.Length).ToArray();

        Assert.Equal(0, graph.Step(ids, masked, 1f, backward: true));
        Assert.All(parameters.Tensors, t => Assert.All(t.Grad, g => Assert.Equal(0f, g)));
    }

    [Theory]
    [InlineData(WeightFormat.BF16)]
    [InlineData(WeightFormat.Q8)]
    public void LoraOverAReducedPrecisionBaseMatchesTheRoundedFloat32Base(WeightFormat format)
    {
        using var reduced = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"), format);
        Assert.All(Matrices(reduced), w => Assert.Equal(format, w.Format));
        using var twin = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"));
        foreach (var w in Matrices(twin))
            Round(w.WritableFloat32(), format);

        var (loss, grads) = LoraGradients(reduced);
        var (twinLoss, twinGrads) = LoraGradients(twin);

        Assert.Equal(twinLoss, loss, 1e-5 * twinLoss);
        AssertSameGradients(twinGrads, grads, 1e-5);
    }

    [Fact]
    public void TransposedProductOfABF16MatrixMatchesDoubleLoops()
    {
        // 600 rows of 2048: more than one block of rows is widened to float32.
        const int rows = 600, cols = 2048, tokens = 3;
        var random = new Random(3);
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = (float)(random.NextDouble() * 2 - 1);
        var matrix = WeightMatrix.Convert(w, rows, cols, WeightFormat.BF16);
        Round(w, WeightFormat.BF16);
        var dy = new float[tokens * rows];
        for (int i = 0; i < dy.Length; i++) dy[i] = (float)(random.NextDouble() * 2 - 1);
        var dx = Enumerable.Repeat(0.5f, tokens * cols).ToArray();

        matrix.MultiplyTransposedAccumulate(dy, dx, tokens);

        for (int t = 0; t < tokens; t++)
            for (int c = 0; c < cols; c += 97)
            {
                double sum = 0.5;
                for (int r = 0; r < rows; r++) sum += (double)dy[t * rows + r] * w[r * cols + c];
                Assert.True(Math.Abs(sum - dx[t * cols + c]) < 1e-4, $"dx[{t}, {c}] = {dx[t * cols + c]}, expected {sum}");
            }
    }

    [Fact]
    public async Task LoraOnABF16BaseWithRecomputationLearnsTheAnswers()
    {
        string dir = Directory.CreateTempSubdirectory("ragtune-trainmem-").FullName;
        try
        {
            var options = new SftTrainingOptions
            {
                ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = SftTrainerTests.WriteChatData(dir), OutputDirectory = Path.Combine(dir, "run"),
                BatchSize = 2, GradientAccumulationSteps = 2, MaxSteps = 80, LearningRate = 2e-2f, WarmupSteps = 4,
                BaseWeights = WeightFormat.BF16, RecomputeActivations = true,
            };
            var trainer = new SftTrainer(options);
            Assert.Equal(WeightFormat.BF16, trainer.Model.Layers[0].QProj!.Weight.Format);
            Assert.True(trainer.Graph.RecomputeActivations);

            var result = await trainer.RunAsync(cancellationToken: TestContext.Current.CancellationToken);

            Assert.True(result.Losses[^1] < 0.1, $"final loss {result.Losses[^1]}");
            using var model = DecoderModel.Load(options.ModelPath, WeightFormat.BF16);
            var adapters = PeftAdapter.Load(result.OutputPath, model.LayerLinears);
            var tok = RagTune.Engine.Tokenizers.Tokenizer.Load(options.ModelPath);
            foreach (var (q, a) in SftTrainerTests.Facts)
                Assert.Equal(a, SftTrainerTests.Greedy(model, tok, q, adapters));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void FullFineTuneRefusesAReducedPrecisionBase()
    {
        var options = new SftTrainingOptions
        {
            ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = "unused.jsonl", OutputDirectory = "unused", FullFineTune = true,
            BaseWeights = WeightFormat.Q8,
        };
        var ex = Assert.Throws<EngineException>(() => new SftTrainer(options));
        Assert.Contains("Q8", ex.Message);
    }

    /// <summary>Rounds float32 values in place the way loading as <paramref name="format"/> does.</summary>
    private static void Round(float[] values, WeightFormat format)
    {
        if (format == WeightFormat.BF16)
        {
            var bits = new ushort[values.Length];
            ReducedPrecision.FloatToBF16(values, bits);
            ReducedPrecision.BF16ToFloat(bits, values);
            return;
        }
        var q = new sbyte[values.Length];
        var scales = new float[values.Length / Q8.BlockSize];
        Q8.Quantize(values, q, scales);
        Q8.Dequantize(q, scales, values);
    }
}
