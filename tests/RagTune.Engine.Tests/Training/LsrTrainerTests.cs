// LM-supervised retriever training end to end on the tiny fixtures: the KL falls, an interrupted and resumed run ends
// byte-identical to an uninterrupted one (full and LoRA), the generator's scores are computed once and journaled, and a
// resume with different settings is refused naming the difference.
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Models;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class LsrTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-lsr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteData(params string[] keys)
    {
        string data = Path.Combine(_dir, "lsr.jsonl");
        File.WriteAllLines(data, keys.Select(s => JsonSerializer.Serialize(new
        {
            query = "search " + s, answer = "model " + s, chunks = new[] { "document " + s + " is the model", "the lazy dog", "hello world" },
        })));
        return data;
    }

    private LsrTrainingOptions Options(string run, string data) => new()
    {
        GeneratorPath = Fixtures.Dir("qwen2-tiny"), RetrieverPath = Fixtures.Dir("bert-tiny-cls"), DataPath = data,
        OutputDirectory = Path.Combine(_dir, run), LearningRate = 3e-3f, WeightDecay = 0,
        UserTurn = (chunk, query) => "<DOCUMENT>" + chunk + "</DOCUMENT>\n" + query,
    };

    [Fact]
    public async Task KlFallsAsTheQueryEncoderLearnsTheGeneratorsPreference()
    {
        var trainer = new LsrTrainer(Options("run", WriteData("a", "b")) with { Epochs = 15 });
        var result = await trainer.RunAsync(cancellationToken: TestContext.Current.CancellationToken);

        double first = result.Losses.Take(2).Average(), last = result.Losses.TakeLast(2).Average();
        Assert.True(last < 0.5 * first, $"KL {first:g4} → {last:g4}");
        Assert.Equal(2, trainer.GeneratorScorings);   // 15 epochs, each example scored once
        Assert.True(File.Exists(Path.Combine(result.OutputPath, "model.safetensors")));
        BertEncoder.Load(result.OutputPath);
        Assert.True(File.Exists(Path.Combine(_dir, "run", "loss.svg")));
        Assert.Equal(30, File.ReadAllLines(Path.Combine(_dir, "run", LsrTrainer.LogFileName)).Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ResumedRunEqualsAnUninterruptedRunByteForByte(bool lora)
    {
        var ct = TestContext.Current.CancellationToken;
        string data = WriteData("a", "b", "c");
        LsrTrainingOptions Run(string run) => Options(run, data) with
        {
            Epochs = 3, CheckpointEvery = 2, WarmupSteps = 2, Decay = LearningRateDecay.Linear, WeightDecay = 0.01f, Seed = 7,
            Lora = lora ? new LoraOptions { Rank = 4, Alpha = 8, TargetModules = ["query", "key", "value", "dense"] } : null,
        };
        var full = await new LsrTrainer(Run("a")).RunAsync(cancellationToken: ct);

        using var cts = new CancellationTokenSource();
        var interrupted = new LsrTrainer(Run("b"));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => interrupted.RunAsync(new SftTrainerTests.StopAfter(5, cts), cts.Token));
        Assert.Equal(3, interrupted.GeneratorScorings);   // the first epoch scored every example
        var steps = new List<int>();
        var resumedTrainer = new LsrTrainer(Run("b") with { Resume = true });
        var resumed = await resumedTrainer.RunAsync(new SftTrainerTests.Recorder(p => steps.Add(p.Step)), ct);

        Assert.Equal([6, 7, 8, 9], steps);   // from the step-5 checkpoint the cancellation wrote (the interval is 2)
        Assert.Equal(0, resumedTrainer.GeneratorScorings);   // all scores came from the journal
        Assert.Equal(full.Losses, resumed.Losses);
        string file = lora ? PeftAdapter.WeightsFileName : "model.safetensors";
        Assert.Equal(File.ReadAllBytes(Path.Combine(full.OutputPath, file)), File.ReadAllBytes(Path.Combine(resumed.OutputPath, file)));
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a", LsrTrainer.LogFileName)), File.ReadAllText(Path.Combine(_dir, "b", LsrTrainer.LogFileName)));
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "a", "loss.svg")), File.ReadAllText(Path.Combine(_dir, "b", "loss.svg")));
    }

    [Fact]
    public async Task ResumeWithDifferentSettingsIsRefusedNamingTheDifference()
    {
        var ct = TestContext.Current.CancellationToken;
        string data = WriteData("a", "b");
        await new LsrTrainer(Options("run", data) with { Epochs = 1, CheckpointEvery = 1 }).RunAsync(cancellationToken: ct);

        var ex = await Assert.ThrowsAsync<EngineException>(() =>
            new LsrTrainer(Options("run", data) with { Epochs = 1, LearningRate = 1e-3f, Resume = true }).RunAsync(cancellationToken: ct));
        Assert.Contains(RunSettingsGuard.FileName, ex.Message);
        Assert.Contains("learning_rate: was 0.003, now 0.001", ex.Message);

        File.AppendAllText(data, JsonSerializer.Serialize(new { query = "q", answer = "x", chunks = new[] { "1", "2" } }) + "\n");
        ex = await Assert.ThrowsAsync<EngineException>(() =>
            new LsrTrainer(Options("run", data) with { Epochs = 1, Resume = true }).RunAsync(cancellationToken: ct));
        Assert.Contains("data_sha256: was ", ex.Message);
    }

    [Fact]
    public void ScoreJournalDropsATornLineAndStartsAfreshForAnotherGenerator()
    {
        using (var journal = new LsrScoreJournal(_dir, "gen", "data"))
        {
            journal.Add(0, [-1.5, -2.25]);
            journal.Add(3, [-0.1, double.MinValue]);
        }
        File.AppendAllText(Path.Combine(_dir, LsrScoreJournal.FileName), "{\"index\":1,\"logp\":[-3.");   // kill -9 mid-line

        using (var reopened = new LsrScoreJournal(_dir, "gen", "data"))
        {
            Assert.Equal(2, reopened.Reused);
            Assert.True(reopened.TryGet(3, out var logp));
            Assert.Equal([-0.1, double.MinValue], logp);
            Assert.False(reopened.TryGet(1, out _));
            reopened.Add(1, [-3.0]);
        }
        using (var again = new LsrScoreJournal(_dir, "gen", "data"))
            Assert.Equal(3, again.Reused);
        using (var other = new LsrScoreJournal(_dir, "another generator", "data"))
            Assert.Equal(0, other.Reused);
    }

    [Fact]
    public void BadDataLineIsNamed()
    {
        string data = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllLines(data, ["{\"query\": \"q\", \"answer\": \"a\", \"chunks\": [\"only one\"]}"]);
        var ex = Assert.Throws<EngineException>(() => new LsrTrainer(Options("run", data)));
        Assert.Contains("bad.jsonl:1", ex.Message);
    }
}
