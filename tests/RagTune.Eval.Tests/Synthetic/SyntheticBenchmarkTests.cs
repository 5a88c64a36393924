// Checks the benchmark's orchestration with a recording trainer (it returns the base checkpoint unchanged, so what is
// tested is the plumbing: curriculum stages and their data, caching of trained students, every table row, the reports).
using RagTune.Eval.Synthetic;

namespace RagTune.Eval.Tests.Synthetic;

public sealed class SyntheticBenchmarkTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-bench-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private SyntheticBenchmarkOptions Options => new()
    {
        OutputDirectory = _dir,
        World = new SyntheticWorldOptions { Entities = 30 },
        Student = new StudentModelOptions { HiddenSize = 32, Layers = 1, IntermediateSize = 64 },
        Raft = new SyntheticRaftOptions { Distractors = 2 },
        Curriculum = [0, 1, 2, 4],
        StepsPerRegime = 10,
        EvalItems = 2,
    };

    [Fact]
    public async Task Every_regime_is_trained_through_its_curriculum_and_every_row_is_reported()
    {
        var trainer = new RecordingTrainer();
        var ct = TestContext.Current.CancellationToken;
        var result = await SyntheticBenchmark.RunAsync(Options, trainer, null, ct);

        Assert.Equal(3, trainer.Jobs.Count);
        var dsf = trainer.Jobs[0];
        Assert.Equal(10, Assert.Single(dsf.Stages).Steps);
        var raft = trainer.Jobs[1];
        // Curriculum entries above k are dropped; 10 steps over 3 stages: 3, 3, 4.
        Assert.Equal([3, 3, 4], raft.Stages.Select(s => s.Steps));
        Assert.EndsWith("raft_stage2_k2.jsonl", raft.Stages[2].DataPath, StringComparison.Ordinal);
        Assert.All(trainer.Jobs.SelectMany(j => j.Stages), s => Assert.True(new FileInfo(s.DataPath).Length > 0));

        Assert.Equal(7, result.Run.Systems.Count);
        Assert.Equal(14, result.Run.Results.Count);
        Assert.Contains("| DSF (no documents at test time) |", result.Table, StringComparison.Ordinal);
        Assert.Contains("| RAFT + CoT |", result.Table, StringComparison.Ordinal);
        Assert.Contains("<svg", await File.ReadAllTextAsync(result.ReportPath, ct), StringComparison.Ordinal);
        Assert.True(File.Exists(result.JsonPath));

        // A second run reuses the trained students and the stored answers.
        var again = new RecordingTrainer();
        var second = await SyntheticBenchmark.RunAsync(Options, again, null, ct);
        Assert.Empty(again.Jobs);
        Assert.Equal(result.Table, second.Table);
    }
}
