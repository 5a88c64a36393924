// `ragtune eval` as a child process against the scripted OpenAI-compatible server: SIGTERM while a question is in flight
// exits 130 with every finished answer in results.jsonl (whole lines, no error line for the interrupted one), and the
// rerun asks the model only about the questions it had not answered.
using System.Text.Json;
using RagTune.Raft.Tests.Infrastructure;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class EvalCommandSignalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-eval-signal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private List<string> ResultItems() =>
        File.ReadAllLines(Path.Combine(_dir, "out", "results.jsonl")).Select(l =>
        {
            using var doc = JsonDocument.Parse(l);
            Assert.False(doc.RootElement.TryGetProperty("error", out _), $"an error line: {l}");
            return doc.RootElement.GetProperty("item_id").GetString()!;
        }).ToList();

    [Fact]
    public async Task Sigterm_keeps_the_finished_answers_and_the_rerun_asks_only_the_rest()
    {
        var ct = TestContext.Current.CancellationToken;
        const int items = 6;
        string set = Path.Combine(_dir, "set.jsonl");
        File.WriteAllLines(set, Enumerable.Range(1, items).Select(i => JsonSerializer.Serialize(new { id = $"q{i}", question = $"What is item {i}?", answers = new[] { "x" } })));
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Hold = r => r.User.Contains("item 4?", StringComparison.Ordinal);
        string[] args = ["eval", "--set", set, "--model", "m", "--endpoint", server.BaseUrl.ToString(), "--api-key", "k", "--mode", "closed-book",
            "--concurrency", "1", "--out", Path.Combine(_dir, "out")];

        List<string> finished;
        using (var child = ChildCli.Start(args))
        {
            await child.WaitUntilAsync(() => server.HeldCount >= 1, TimeSpan.FromSeconds(60), "the question about item 4", ct);
            child.Terminate();
            int code = await child.WaitForExitAsync(TimeSpan.FromSeconds(30), ct);
            Assert.True(code == 130, $"exit {code}:\n{child.Output}");
            Assert.Contains("SIGTERM received: stopping at the next safe point", child.Output, StringComparison.Ordinal);
            finished = ResultItems();
            // One request per finished question, plus the one held.
            Assert.Equal(server.Requests.Count - 1, finished.Count);
            Assert.DoesNotContain("q4", finished);
            Assert.NotEmpty(finished);   // the run's order (seeded) reaches item 4 after others
        }
        int before = server.Requests.Count;

        server.Hold = null;
        var rerun = await CliHarness.RunAsync(args);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);
        var all = ResultItems();
        Assert.Equal(finished, all.Take(finished.Count));
        Assert.Equal(Enumerable.Range(1, items).Select(i => $"q{i}").Order(), all.Order());
        var asked = server.Requests.Skip(before).Select(r => r.User).ToList();
        Assert.Equal(items - finished.Count, asked.Count);
        Assert.All(finished, id => Assert.DoesNotContain(asked, u => u.Contains($"item {id[1..]}?", StringComparison.Ordinal)));
    }
}
