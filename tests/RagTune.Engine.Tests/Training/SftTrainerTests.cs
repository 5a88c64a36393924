// End-to-end SFT on the tiny fixtures: masking of the chat template, a model that learns a small set of answers
// (full and LoRA), exact resume from the checkpoint a cancellation writes, the files a run leaves behind, and a resume
// with other settings refused naming them.
using RagTune.Engine.Chat;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Tokenizers;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class SftTrainerTests : IDisposable
{
    // The fixtures are Qwen2 checkpoints: plain ChatML without a default system message.
    private static readonly ChatTemplate ChatMl = ChatTemplate.Select(null, "Qwen2ForCausalLM");

    internal static readonly (string Q, string A)[] Facts =
    [
        ("Where is the red door?", "north"),
        ("Who keeps the keys?", "Mara"),
        ("What opens the gate?", "the blue lever"),
        ("When does the ferry leave?", "at noon"),
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-sft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    internal static string WriteChatData(string dir)
    {
        string path = Path.Combine(dir, "train.jsonl");
        File.WriteAllLines(path, Facts.Select(f => System.Text.Json.JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = f.Q }, new { role = "assistant", content = f.A } },
        })));
        return path;
    }

    internal static string Greedy(DecoderModel model, ITokenizer tok, string question, AdapterSet? adapters = null)
    {
        var ids = tok.Encode(ChatMl.Render([new ChatTurn("user", question)]), parseSpecial: true).ToList();
        int eot = tok.TokenToId("<|im_end|>")!.Value;
        var session = model.CreateSession(128, adapters: adapters);
        var logits = session.Forward(ids.ToArray()).ToArray();
        var answer = new List<int>();
        for (int i = 0; i < 12; i++)
        {
            int next = Array.IndexOf(logits, logits.Max());
            if (next == eot) break;
            answer.Add(next);
            logits = session.Forward([next]).ToArray();
        }
        return tok.Decode(answer.ToArray());
    }

    [Fact]
    public void OnlyAssistantContentAndEndOfTurnCarryLoss()
    {
        var tok = Tokenizer.Load(Fixtures.Dir("qwen2-tiny"));
        var builder = new SftExampleBuilder(tok, ChatMl, 512, truncateDocuments: false);
        var e = builder.Build([new ChatTurn("system", "Be brief."), new ChatTurn("user", "Where is it?"), new ChatTurn("assistant", "north")])!;

        Assert.Equal(tok.Encode(ChatMl.Render(
            [new ChatTurn("system", "Be brief."), new ChatTurn("user", "Where is it?"), new ChatTurn("assistant", "north")],
            new ChatTemplateOptions { AddGenerationPrompt = false }), parseSpecial: true), e.Ids);
        var learned = e.Labels.Where(l => l != TokenizedExample.IgnoreIndex).ToArray();
        Assert.Equal("north<|im_end|>", tok.Decode(learned));
        Assert.Equal(learned.Length, e.TargetCount);
    }

    [Fact]
    public void OverLongSamplesAreDroppedAndCountedOrTheirDocumentsTruncated()
    {
        var tok = Tokenizer.Load(Fixtures.Dir("qwen2-tiny"));
        string docs = string.Concat(Enumerable.Repeat("<DOCUMENT>the quick brown fox jumps over the lazy dog</DOCUMENT>\n", 6));
        ChatTurn[] turns = [new("user", docs + "Which animal jumps?"), new("assistant", "the fox")];
        var dropper = new SftExampleBuilder(tok, ChatMl, 60, truncateDocuments: false);
        Assert.Null(dropper.Build(turns));
        Assert.Equal(1, dropper.Dropped);

        var truncator = new SftExampleBuilder(tok, ChatMl, 60, truncateDocuments: true);
        var e = truncator.Build(turns)!;
        Assert.True(e.Ids.Length <= 60);
        Assert.Equal(1, truncator.Truncated);
        Assert.Contains("Which animal jumps?", tok.Decode(e.Ids));
        Assert.Equal("the fox<|im_end|>", tok.Decode(e.Labels.Where(l => l >= 0).ToArray()));
    }

    [Fact]
    public async Task FullFineTuneLearnsTheAnswersAndSavesALoadableCheckpoint()
    {
        var options = new SftTrainingOptions
        {
            ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = WriteChatData(_dir), OutputDirectory = Path.Combine(_dir, "run"),
            FullFineTune = true, BatchSize = 4, MaxSteps = 60, LearningRate = 1e-2f, WarmupSteps = 5, Decay = LearningRateDecay.Cosine,
        };
        var result = await new SftTrainer(options).RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.Losses[^1] < 0.05, $"final loss {result.Losses[^1]}");
        var model = DecoderModel.Load(result.OutputPath);
        var tok = Tokenizer.Load(result.OutputPath);
        foreach (var (q, a) in Facts)
            Assert.Equal(a, Greedy(model, tok, q));
        Assert.True(File.Exists(Path.Combine(options.OutputDirectory, "loss.svg")));
        Assert.Equal(60, File.ReadAllLines(Path.Combine(options.OutputDirectory, "train_log.jsonl")).Length);
    }

    [Fact]
    public async Task LoraLearnsTheAnswersThroughTheUnmergedAdapter()
    {
        var options = new SftTrainingOptions
        {
            ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = WriteChatData(_dir), OutputDirectory = Path.Combine(_dir, "run"),
            BatchSize = 2, GradientAccumulationSteps = 2, MaxSteps = 80, LearningRate = 2e-2f, WarmupSteps = 4,
            Lora = new LoraOptions { Rank = 8, Alpha = 16 },
        };
        var result = await new SftTrainer(options).RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(result.Losses[^1] < 0.1, $"final loss {result.Losses[^1]}");
        var model = DecoderModel.Load(options.ModelPath);
        var adapters = PeftAdapter.Load(result.OutputPath, model.LayerLinears);
        var tok = Tokenizer.Load(options.ModelPath);
        foreach (var (q, a) in Facts)
            Assert.Equal(a, Greedy(model, tok, q, adapters));
    }

    internal sealed class Recorder(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    internal sealed class StopAfter(int step, CancellationTokenSource cts) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            if (value.Step == step) cts.Cancel();
        }
    }

    [Fact]
    public async Task ResumedRunEqualsAnUninterruptedRunBitForBit()
    {
        SftTrainingOptions Options(string run) => new()
        {
            ModelPath = Fixtures.Dir("qwen3-tiny"), DataPath = WriteChatData(_dir), OutputDirectory = Path.Combine(_dir, run),
            BatchSize = 2, MaxSteps = 8, LearningRate = 1e-2f, WarmupSteps = 2, CheckpointEvery = 2, ValidationFraction = 0.25,
            EvalEvery = 3, Lora = new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0.1f, UseRsLora = true },
        };
        var full = await new SftTrainer(Options("a")).RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SftTrainer(Options("b")).RunAsync(new StopAfter(5, cts), cts.Token));
        // Checkpoints every 2 steps, yet the cancellation after step 5 saved step 5: the resume repeats nothing.
        Assert.Equal(5, TrainingCheckpoint.LatestStep(Path.Combine(_dir, "b")));
        Assert.Equal(5, File.ReadAllLines(Path.Combine(_dir, "b", "train_log.jsonl")).Length);
        var steps = new List<int>();
        var resumed = await new SftTrainer(Options("b") with { Resume = true }).RunAsync(new Recorder(p => steps.Add(p.Step)),
            TestContext.Current.CancellationToken);

        Assert.Equal([6, 7, 8], steps);
        Assert.Equal(full.Losses, resumed.Losses);
        Assert.Equal(full.EvalLosses, resumed.EvalLosses);
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.OutputPath, PeftAdapter.WeightsFileName)),
            File.ReadAllBytes(Path.Combine(resumed.OutputPath, PeftAdapter.WeightsFileName)));
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a", "train_log.jsonl")), File.ReadAllText(Path.Combine(_dir, "b", "train_log.jsonl")));
    }

    /// <summary>The resume fails with one error naming the run folder's settings file and <paramref name="difference"/>.</summary>
    internal static async Task AssertResumeRefused(Func<Task> resume, string run, string difference)
    {
        var ex = await Assert.ThrowsAsync<EngineException>(resume);
        Assert.StartsWith(Path.Combine(run, RunSettingsGuard.FileName) + ": cannot resume with different settings — ", ex.Message);
        Assert.Contains(difference, ex.Message);
    }

    [Fact]
    public async Task ResumeWithDifferentSettingsIsRefusedNamingTheSetting()
    {
        var ct = TestContext.Current.CancellationToken;
        string data = WriteChatData(_dir);
        SftTrainingOptions Options() => new()
        {
            ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = data, OutputDirectory = Path.Combine(_dir, "run"),
            BatchSize = 2, MaxSteps = 2, LearningRate = 1e-2f, Lora = new LoraOptions { Rank = 4, Alpha = 8 }, CheckpointEvery = 1,
        };
        await new SftTrainer(Options()).RunAsync(cancellationToken: ct);

        Task Refused(SftTrainingOptions changed, string difference) =>
            AssertResumeRefused(() => new SftTrainer(changed with { Resume = true }).RunAsync(cancellationToken: ct), Path.Combine(_dir, "run"), difference);
        await Refused(Options() with { LearningRate = 2e-2f }, "learning_rate: was 0.01, now 0.02");
        await Refused(Options() with { MaxSteps = 3 }, "total_steps: was 2, now 3");
        await Refused(Options() with { BatchSize = 1 }, "batch_size: was 2, now 1");
        await Refused(Options() with { Lora = new LoraOptions { Rank = 2, Alpha = 8 } }, "lora: was r=4 alpha=8 dropout=0 ");
        await Refused(Options() with { ModelPath = Fixtures.Dir("qwen3-tiny") }, $"model: was {Fixtures.Dir("qwen2-tiny")} [");
        // Settings that do not change the computation may change: the checkpoint interval, gradient checkpointing.
        var same = await new SftTrainer(Options() with { Resume = true, CheckpointEvery = 5, RecomputeActivations = true }).RunAsync(cancellationToken: ct);
        Assert.Equal(2, same.Steps);

        File.AppendAllText(data, System.Text.Json.JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = "Why?" }, new { role = "assistant", content = "Because." } },
        }) + "\n");
        await Refused(Options(), "data_sha256: was ");
    }

    [Fact]
    public async Task AFreshRunRemovesAnOlderRunsCheckpointAndItsLog()
    {
        var ct = TestContext.Current.CancellationToken;
        SftTrainingOptions Options(int steps) => new()
        {
            ModelPath = Fixtures.Dir("qwen2-tiny"), DataPath = WriteChatData(_dir), OutputDirectory = Path.Combine(_dir, "run"),
            BatchSize = 2, MaxSteps = steps, CheckpointEvery = 1,
        };
        await new SftTrainer(Options(3)).RunAsync(cancellationToken: ct);
        Assert.Equal(3, TrainingCheckpoint.LatestStep(Path.Combine(_dir, "run")));

        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new SftTrainer(Options(6) with { CheckpointEvery = 0 }).RunAsync(new StopAfter(1, cts), cts.Token));
        // Only the new run's step 1 remains: the old step-3 checkpoint would otherwise be resumed under the new settings.
        Assert.Equal(1, TrainingCheckpoint.LatestStep(Path.Combine(_dir, "run")));
        Assert.Single(File.ReadAllLines(Path.Combine(_dir, "run", "train_log.jsonl")));
        var resumed = await new SftTrainer(Options(6) with { Resume = true }).RunAsync(cancellationToken: ct);
        Assert.Equal(6, resumed.Losses.Count);
    }
}
