// Checks the demo's plumbing with a recording trainer (it hands back the base checkpoint): the trainer gets the RAFT
// data, the fine-tuned student joins the comparison closed-book and with BM25 retrieval, and a rerun reuses it.
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class SyntheticDemoTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-demo-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_trained_student_is_compared_with_the_base_and_reused_on_a_rerun()
    {
        var ct = TestContext.Current.CancellationToken;
        var trainer = new RecordingTrainer();
        var options = new SyntheticDemoOptions { OutputDirectory = _dir, Fast = true };
        var result = await SyntheticDemo.RunAsync(options, trainer, null, ct);
        var job = Assert.Single(trainer.Jobs);
        Assert.Equal(result.RaftDataPath, Assert.Single(job.Stages).DataPath);
        Assert.Equal(4, result.Run.Systems.Count);
        Assert.Contains("RAFT student + RAG (BM25)", result.Run.Systems);
        // BM25 over the entity name finds the oracle document for most questions.
        var rag = result.Run.Summaries.Single(s => s.System == "base student + RAG (BM25)");
        Assert.True(rag.Metrics["retrieval_recall"].Mean >= 0.9, $"retrieval recall {rag.Metrics["retrieval_recall"].Mean}");

        var again = new RecordingTrainer();
        var second = await SyntheticDemo.RunAsync(options, again, null, ct);
        Assert.Empty(again.Jobs);
        Assert.Equal(result.StudentPath, second.StudentPath);
    }
}
