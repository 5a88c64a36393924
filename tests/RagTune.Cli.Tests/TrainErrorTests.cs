// `ragtune train` with bad data or a damaged run folder: one line naming the file (and line, field, role) and what was
// expected, a non-zero exit code, and nothing written — no run folder for bad data, nothing read outside the run folder.
using System.Text.Json;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class TrainErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-train-errors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Line(string user, string assistant, string role = "assistant") =>
        JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = user }, new { role, content = assistant } } });

    private string Data(params string[] lines)
    {
        string path = Path.Combine(_dir, "train.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private string[] Args(string data, string run = "run", int steps = 2) =>
    [
        "train", "sft", "--model", ModelFixtures.Dir("qwen3-tiny"), "--data", data, "--output", Path.Combine(_dir, run),
        "--max-steps", steps.ToString(), "--grad-accum", "1", "--lora-rank", "2", "--save-every", "1", "--quiet",
    ];

    private async Task<string> FailsWithOneLine(string[] args)
    {
        var r = await CliHarness.RunAsync(args);
        Assert.Equal(1, r.ExitCode);
        string line = Assert.Single(r.ErrorLines, l => l.StartsWith("ragtune:", StringComparison.Ordinal));
        Assert.StartsWith("ragtune: error: ", line);
        return line;
    }

    [Theory]
    [InlineData("""{"messages":"hello"}""", "train.jsonl:4: 'messages' is a string; expected an array of {role, content} objects")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\"", "train.jsonl:4: not valid JSON at byte 63 of the line (Expected depth to be zero")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"robot","content":"a"}]}""", "train.jsonl:4: messages[1].role is 'robot'; expected system, user or assistant")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"  "}]}""", "train.jsonl:4: messages[1] (assistant) is empty; expected an answer to learn from")]
    [InlineData("""{"messages":[{"role":"user","content":"q"},["assistant","a"]]}""", "train.jsonl:4: messages[1] is an array; expected an object with role and content")]
    [InlineData("""{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":""}]}""", "train.jsonl:4: conversations[1] (assistant) is empty; expected an answer to learn from")]
    [InlineData("""{"instruction":"q","output":""}""", "train.jsonl:4: output (assistant) is empty; expected an answer to learn from")]
    public async Task A_bad_line_is_named_with_its_real_line_number_and_nothing_is_written(string bad, string message)
    {
        string data = Data(Line("a?", "b"), Line("c?", "d"), Line("e?", "f"), bad, Line("g?", "h"));
        string line = await FailsWithOneLine(Args(data));
        Assert.StartsWith($"ragtune: error: {Path.Combine(_dir, message)}", line);
        Assert.DoesNotContain("LineNumber", line);
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")));
    }

    private async Task<string> TrainedRun()
    {
        string data = Data(Line("Where is the red door?", "north"), Line("Who keeps the keys?", "Mara"));
        var r = await CliHarness.RunAsync(Args(data));
        Assert.True(r.ExitCode == 0, r.Stderr);
        return Path.Combine(_dir, "run");
    }

    [Fact]
    public async Task A_packed_run_records_packing_and_a_resume_without_it_is_refused()
    {
        string data = Data(Line("Where is the red door?", "north"), Line("Who keeps the keys?", "Mara"));
        var r = await CliHarness.RunAsync([.. Args(data), "--pack"]);
        Assert.True(r.ExitCode == 0, r.Stderr);
        string line = await FailsWithOneLine([.. Args(data), "--resume"]);
        Assert.Contains("pack: was True, now False", line);
    }

    [Fact]
    public async Task Resume_with_a_corrupt_state_json_names_the_file()
    {
        string run = await TrainedRun();
        string state = Path.Combine(run, "checkpoints", "step-000002", "state.json");
        File.WriteAllText(state, "{\"Step\": 2, \"AdamStep\": ");
        string line = await FailsWithOneLine([.. Args(Path.Combine(_dir, "train.jsonl")), "--resume"]);
        Assert.StartsWith($"ragtune: error: {state}: not a valid training state", line);
        Assert.Contains("start the run again without resuming", line);
    }

    [Fact]
    public async Task Resume_refuses_a_latest_pointer_that_leaves_the_checkpoints_folder()
    {
        string run = await TrainedRun();
        // A complete checkpoint outside the run folder, which a pointer of ../../.. would reach.
        string outside = Path.Combine(_dir, "elsewhere");
        Directory.CreateDirectory(outside);
        foreach (string f in Directory.GetFiles(Path.Combine(run, "checkpoints", "step-000002")))
            File.Copy(f, Path.Combine(outside, Path.GetFileName(f)));
        string pointer = Path.Combine(run, "checkpoints", "latest");
        File.WriteAllText(pointer, "../../elsewhere");
        string line = await FailsWithOneLine([.. Args(Path.Combine(_dir, "train.jsonl")), "--resume"]);
        Assert.Equal($"ragtune: error: {pointer}: '../../elsewhere' is not a checkpoint name; expected step-NNNNNN, a folder of {Path.Combine(run, "checkpoints")}", line);

        File.WriteAllText(pointer, "step-000009");
        line = await FailsWithOneLine([.. Args(Path.Combine(_dir, "train.jsonl")), "--resume"]);
        Assert.Equal($"ragtune: error: {pointer}: names {Path.Combine(run, "checkpoints", "step-000009")}, which does not exist: start the run again without resuming", line);
    }
}
