// `ragtune fed join`: the `train sft` flags a site trains with (and none of the run-folder ones), and bad input — two
// keys, missing data, a server that is not there — as one line and a non-zero exit.
using System.Text.Json;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class FedJoinCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-fed-join-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Data()
    {
        string path = Path.Combine(_dir, "train.jsonl");
        File.WriteAllLines(path, [JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = "Where is the red door?" }, new { role = "assistant", content = "north" } } })]);
        return path;
    }

    private async Task<string> FailsWithOneLine(params string[] args)
    {
        var r = await CliHarness.RunAsync(args);
        Assert.Equal(1, r.ExitCode);
        return Assert.Single(r.ErrorLines, l => l.StartsWith("ragtune:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Join_takes_the_sft_flags_a_site_trains_with_and_no_run_folder_flags()
    {
        var help = await CliHarness.RunAsync("fed", "join", "--help");
        Assert.Equal(0, help.ExitCode);
        foreach (var flag in new[] { "--server", "--model", "--data", "--eval", "--adapter-init", "--lora-rank", "--lora-alpha", "--lora-target", "--key", "--key-file", "--tls-ca", "--fp16", "--work", "--max-steps", "--lr" })
            Assert.Contains(flag, help.Stdout);
        foreach (var flag in new[] { "--output", "--resume", "--val-fraction", "--save-every", "--init-config" })
            Assert.DoesNotContain(flag, help.Stdout);
    }

    [Fact]
    public async Task Bad_input_is_one_line_and_a_non_zero_exit()
    {
        string model = ModelFixtures.Dir("qwen2-tiny"), data = Data(), keyFile = Path.Combine(_dir, "key.txt");
        File.WriteAllText(keyFile, "secret\n");
        string work = Path.Combine(_dir, "work");

        Assert.Equal("ragtune: error: --key and --key-file both give the site key: give one",
            await FailsWithOneLine("fed", "join", "--server", "127.0.0.1:9", "--model", model, "--data", data, "--key", "k", "--key-file", keyFile, "--tls-ca", keyFile, "--work", work));
        Assert.Equal($"ragtune: error: {Path.Combine(_dir, "none.jsonl")}: the site's training data is missing",
            await FailsWithOneLine("fed", "join", "--server", "127.0.0.1:9", "--model", model, "--data", Path.Combine(_dir, "none.jsonl"), "--work", work));
        // Port 9 (discard) on loopback has no Flower server.
        Assert.StartsWith("ragtune: error: 127.0.0.1:9: the Flower stream failed (Unavailable",
            await FailsWithOneLine("fed", "join", "--server", "127.0.0.1:9", "--model", model, "--data", data, "--work", work, "--lora-rank", "2"));
    }
}
