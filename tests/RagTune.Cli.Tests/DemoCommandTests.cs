// Runs `ragtune demo --fast` in-process: it must finish offline, explain itself, and leave the corpus, the RAFT data
// and an HTML report with charts at the printed path; a rerun reuses what the first made.
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-demo-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Fast_demo_writes_the_corpus_the_raft_data_and_a_report()
    {
        var result = await CliHarness.RunAsync("demo", "--fast", "--out", _dir);
        Assert.True(result.ExitCode == 0, result.Stderr + result.Stdout);
        Assert.Contains("self-contained demonstration", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("no model can know their facts", result.Stdout, StringComparison.Ordinal);
        string report = Path.Combine(_dir, "report.html");
        Assert.Contains($"Report: {report}", result.Stdout.Replace("\n", "", StringComparison.Ordinal), StringComparison.Ordinal);
        string html = await File.ReadAllTextAsync(report, TestContext.Current.CancellationToken);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("base student + RAG (BM25)", html, StringComparison.Ordinal);
        Assert.Equal(60, Directory.GetFiles(Path.Combine(_dir, "documents"), "*.txt").Length);
        Assert.NotEmpty(await File.ReadAllLinesAsync(Path.Combine(_dir, "raft", "chat_train.jsonl"), TestContext.Current.CancellationToken));

        var again = await CliHarness.RunAsync("demo", "--fast", "--out", _dir);
        Assert.Equal(0, again.ExitCode);
    }
}
