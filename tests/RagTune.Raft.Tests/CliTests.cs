// The `ragtune raft estimate|generate|export` and `ragtune distill` commands run in-process against the scripted server.
using System.Text.Json;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Estimate_prints_calls_tokens_and_cost_without_sending_anything()
    {
        using var dir = new TempDir();
        await File.WriteAllTextAsync(dir["a.md"], "# Pumps\n\nThe pump runs at 12 bar.\n\nIt is inspected weekly.", TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(dir["b.txt"], "水泵的工作压力为12巴。", TestContext.Current.CancellationToken);
        var (code, output, error) = await RagtuneCli.RunAsync("raft", "estimate", "--docs", dir.Path, "--model", "gpt-4o-mini", "--questions", "3");
        Assert.True(code == 0, error);
        Assert.Contains("2 question + 6 answer", output);
        Assert.Matches(@"cost\s*│\s*\$0\.00\d\d", output);
        var local = await RagtuneCli.RunAsync("raft", "estimate", "--docs", dir.Path, "--model", "qwen2.5:7b");
        Assert.Contains("unknown (no price for this model", local.Output);
    }

    [Fact]
    public async Task Generate_then_export_writes_every_format()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var server = await ScriptedOpenAIServer.StartAsync();
        RagtuneCli.WriteChunks(dir["chunks.jsonl"], TestCorpus.English(4, 2));
        await File.WriteAllTextAsync(dir["prices.json"], """{"teacher-x": {"input": 2, "output": 8}}""", ct);
        var (code, output, error) = await RagtuneCli.RunAsync("raft", "generate", "--chunks", dir["chunks.jsonl"], "--run", dir["run"],
            "--endpoint", server.BaseUrl.ToString(), "--model", "teacher-x", "--api-key", "k", "--questions", "2", "--distractors", "3",
            "--oracle-probability", "0.5", "--prices", dir["prices.json"], "--stream");
        Assert.True(code == 0, error + output);
        Assert.Equal(24, server.Requests.Count);
        // 24 calls × (100 × $2 + 20 × $8) / 1M.
        Assert.Contains("$0.0086", output);
        Assert.Contains("8/8", output);

        (code, output, error) = await RagtuneCli.RunAsync("raft", "export", "--run", dir["run"], "--out", dir["out"], "--chunks", dir["chunks.jsonl"], "--system-prompt", "Be exact.");
        Assert.True(code == 0, error + output);
        foreach (var f in new[] { "raft_train.jsonl", "chat_train.jsonl", "completion_train.jsonl", "eval_train.jsonl", "flagembedding_train.jsonl", "raft_test.jsonl", "llamafactory/dataset_info.json", "llamafactory/alpaca_train.json", "llamafactory/sharegpt_test.json" })
            Assert.True(File.Exists(Path.Combine(dir["out"], f)), f);
        var lines = File.ReadAllLines(Path.Combine(dir["out"], "raft_train.jsonl")).Concat(File.ReadAllLines(Path.Combine(dir["out"], "raft_test.jsonl"))).ToList();
        Assert.Equal(16, lines.Count);
        Assert.All(lines, l => Assert.Equal(4, JsonDocument.Parse(l).RootElement.GetProperty("context").GetProperty("sentences")[0].GetArrayLength()));

        (code, _, _) = await RagtuneCli.RunAsync("raft", "export", "--run", dir["run"], "--out", dir["only"], "--format", "alpaca,eval");
        Assert.Equal(0, code);
        Assert.Equal(["eval_test.jsonl", "eval_train.jsonl", "rag_format.json"], Directory.GetFiles(dir["only"]).Select(Path.GetFileName).Order());
    }

    [Fact]
    public async Task Cot_conventions_are_configurable()
    {
        using var dir = new TempDir();
        await using var server = await ScriptedOpenAIServer.StartAsync(r =>
            RaftResponder.AnswerPrompt(r.User) is { } a
                ? ScriptedReply.Text($"The text: [[{RaftResponder.FirstSentence(a.Chunk)}]]\nFinal: {RaftResponder.Head(a.Chunk)}")
                : ScriptedReply.Text(RaftResponder.Reply(r.System, r.User)));
        RagtuneCli.WriteChunks(dir["chunks.jsonl"], TestCorpus.English(3, 1));
        var (code, output, error) = await RagtuneCli.RunAsync("raft", "generate", "--chunks", dir["chunks.jsonl"], "--run", dir["run"],
            "--endpoint", server.BaseUrl.ToString(), "--model", "m", "--api-key", "k", "--questions", "1", "--distractors", "1",
            "--answer-marker", "Final:", "--quote-begin", "[[", "--quote-end", "]]");
        Assert.True(code == 0, error + output);
        Assert.Contains(server.Requests, r => r.User.Contains("between [[ and ]]") && r.User.Contains("\"Final:\""));
        (code, _, _) = await RagtuneCli.RunAsync("raft", "export", "--run", dir["run"], "--out", dir["out"], "--format", "eval");
        Assert.Equal(0, code);
        var gold = File.ReadAllLines(Path.Combine(dir["out"], "eval_train.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("gold_final_answer").GetString());
        Assert.All(gold, g => Assert.StartsWith("Record ", g));
    }

    [Fact]
    public async Task Budget_cap_exits_with_code_3_and_a_rerun_completes()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var server = await ScriptedOpenAIServer.StartAsync();
        RagtuneCli.WriteChunks(dir["chunks.jsonl"], TestCorpus.English(3, 2));
        await File.WriteAllTextAsync(dir["prices.json"], """{"m": {"input": 1000, "output": 0}}""", ct);
        string[] args = ["raft", "generate", "--chunks", dir["chunks.jsonl"], "--run", dir["run"], "--endpoint", server.BaseUrl.ToString(),
            "--model", "m", "--api-key", "k", "--questions", "1", "--distractors", "2", "--concurrency", "1", "--prices", dir["prices.json"]];
        var (code, output, _) = await RagtuneCli.RunAsync([.. args, "--max-cost", "0.4"]);
        Assert.Equal(3, code);
        Assert.Contains("Budget reached", output);
        Assert.Equal(4, server.Requests.Count);
        (code, output, _) = await RagtuneCli.RunAsync(args);
        Assert.Equal(0, code);
        Assert.Contains("6/6 (2 resumed", output);
        Assert.Equal(12, server.Requests.Count);
    }

    [Fact]
    public async Task Bad_arguments_give_one_clear_error_line()
    {
        using var dir = new TempDir();
        var (code, _, error) = await RagtuneCli.RunAsync("raft", "estimate", "--model", "m");
        Assert.Equal(1, code);
        Assert.Equal("ragtune: error: give exactly one of --docs FOLDER, --chunks FILE.jsonl or --kb DIR", error.Trim());
        (code, _, error) = await RagtuneCli.RunAsync("raft", "export", "--run", dir.Path, "--out", dir["o"]);
        Assert.Equal(1, code);
        Assert.Contains("is not a run directory", error);
        (code, _, error) = await RagtuneCli.RunAsync("raft", "estimate", "--docs", dir.Path, "--model", "m", "--negatives", "semantic");
        Assert.Equal(1, code);
    }

    [Fact]
    public async Task Distill_writes_distilled_and_leftover_files()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await File.WriteAllLinesAsync(dir["gsm.jsonl"], ["""{"q":"2+2?","a":"#### 4"}""", """{"q":"3+3?","a":"#### 7"}"""], ct);
        await using var server = await ScriptedOpenAIServer.StartAsync(r => ScriptedReply.Text(r.User.Contains("2+2") ? "2+2=4\n<ANSWER>: 4" : "3+3=6\n<ANSWER>: 6"));
        var (code, output, error) = await RagtuneCli.RunAsync("distill", "--input", dir["gsm.jsonl"], "--question-field", "q", "--answer-field", "a",
            "--run", dir["run"], "--out", dir["out"], "--endpoint", server.BaseUrl.ToString(), "--model", "m", "--api-key", "k", "--attempts", "2");
        Assert.True(code == 0, error + output);
        Assert.Contains("1 kept, 1 left over", output);
        Assert.Single(File.ReadAllLines(Path.Combine(dir["out"], "distilled.jsonl")));
        Assert.Single(File.ReadAllLines(Path.Combine(dir["out"], "leftover.jsonl")));
        Assert.Equal(3, server.Requests.Count);
    }
}
