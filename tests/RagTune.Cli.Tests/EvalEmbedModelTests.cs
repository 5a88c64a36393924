// `ragtune eval --embed-model DIR`: the semantic_sim column is filled through a local embedding model (it was never
// filled from the command line), and shown in results.jsonl, report.json and the printed table.
using System.Text.Json;
using RagTune.Raft.Tests.Infrastructure;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class EvalEmbedModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-eval-embed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Embed_model_scores_semantic_similarity()
    {
        string set = Path.Combine(_dir, "set.jsonl");
        File.WriteAllLines(set,
        [
            JsonSerializer.Serialize(new { id = "same", question = "At what pressure does the red pump run?", answers = new[] { "12 bar" } }),
            JsonSerializer.Serialize(new { id = "other", question = "When does the blue valve open?", answers = new[] { "when the relay trips twice" } }),
        ]);
        await using var server = await ScriptedOpenAIServer.StartAsync(_ => ScriptedReply.Text("It runs at <ANSWER>: 12 bar"));
        string output = Path.Combine(_dir, "out");
        var r = await CliHarness.RunAsync("eval", "--set", set, "--model", "m", "--endpoint", server.BaseUrl.ToString(), "--api-key", "k",
            "--mode", "closed-book", "--embed-model", ModelFixtures.Dir("bert-tiny-cls"), "--out", output);
        Assert.True(r.ExitCode == 0, r.Stderr);

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "report.json")));
        var sim = report.RootElement.GetProperty("summaries")[0].GetProperty("metrics").GetProperty("semantic_sim");
        Assert.Equal(2, sim.GetProperty("count").GetInt32());
        var perItem = report.RootElement.GetProperty("results").EnumerateArray()
            .ToDictionary(x => x.GetProperty("item_id").GetString()!, x => x.GetProperty("metrics").GetProperty("semantic_sim").GetDouble());
        Assert.Equal(1.0, perItem["same"], 6);          // the final answer is the reference: cosine 1
        Assert.True(perItem["other"] < 0.999, $"semantic_sim {perItem["other"]}");
        Assert.Contains("semantic_sim", r.Stdout);

        // A folder that is no embedding model fails before any question is asked, naming it.
        string nowhere = Path.Combine(_dir, "no-model");
        int asked = server.Requests.Count;
        var bad = await CliHarness.RunAsync("eval", "--set", set, "--model", "m", "--endpoint", server.BaseUrl.ToString(), "--api-key", "k",
            "--embed-model", nowhere, "--out", Path.Combine(_dir, "out2"));
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains(nowhere, Assert.Single(bad.ErrorLines), StringComparison.Ordinal);
        Assert.Equal(asked, server.Requests.Count);
    }
}
