// A GGUF file as the student: LoRA on a frozen Q4_K_M base (its blocks stay as stored; the training GEMM widens them a
// block of rows at a time, the backward reads the same widened rows), and a full fine-tune from GGUF refused up front.
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Tokenizers;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class GgufTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-gguf-sft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Lora_on_a_quantised_gguf_base_learns_the_answers()
    {
        string gguf = GgufFixtureTests.PathOf("qwen2-small-q4_k_m");
        var options = new SftTrainingOptions
        {
            ModelPath = gguf, DataPath = SftTrainerTests.WriteChatData(_dir), OutputDirectory = Path.Combine(_dir, "run"),
            // lr 2e-2 made the loss jump between 0.1 and 3 until the cosine tail, so float rounding (a different attention
            // kernel) decided whether it ended under 0.1; at 1e-2 it is below 1e-3 by step 40.
            BatchSize = 2, GradientAccumulationSteps = 2, MaxSteps = 80, LearningRate = 1e-2f, WarmupSteps = 4,
            Lora = new LoraOptions { Rank = 8, Alpha = 16 },
        };
        var trainer = new SftTrainer(options);
        Assert.Equal(WeightFormat.Q4_K, trainer.Model.Layers[0].QProj!.Weight.Format);
        var result = await trainer.RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.Losses[^1] < 0.1, $"final loss {result.Losses[^1]} (first {result.Losses[0]})");
        using var model = DecoderModel.Load(gguf);
        var adapters = PeftAdapter.Load(result.OutputPath, ParameterSet.DecoderLinears(model));   // unmerged, on the Q4_K base
        var tok = Tokenizer.Load(gguf);
        foreach (var (q, a) in SftTrainerTests.Facts)
            Assert.Equal(a, SftTrainerTests.Greedy(model, tok, q, adapters));
    }

    [Fact]
    public void Full_fine_tune_from_a_gguf_file_is_refused_naming_the_file()
    {
        string gguf = GgufFixtureTests.PathOf("qwen2-small-q4_0");
        var options = new SftTrainingOptions
        {
            ModelPath = gguf, DataPath = SftTrainerTests.WriteChatData(_dir), OutputDirectory = Path.Combine(_dir, "run"), FullFineTune = true,
        };
        var e = Assert.Throws<EngineException>(() => new SftTrainer(options));
        Assert.Contains(gguf, e.Message);
        Assert.Contains("LoRA", e.Message);
    }
}
