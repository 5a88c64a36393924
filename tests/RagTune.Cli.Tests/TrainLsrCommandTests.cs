// `ragtune train lsr` against the tiny fixtures: a training child process killed with SIGKILL mid-run and resumed with
// --resume ends with the same query encoder, byte for byte, without re-scoring with the generator; a resume with other
// settings is refused.
using System.Text.Json;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class TrainLsrCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-lsr-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string[] LsrArgs(string run, int epochs)
    {
        string data = Path.Combine(_dir, "lsr.jsonl");
        File.WriteAllLines(data, new[] { "a", "b", "c" }.Select(s => JsonSerializer.Serialize(new
        {
            query = "search " + s, answer = "model " + s, chunks = new[] { "document " + s + " is the model", "the lazy dog", "hello world" },
        })));
        return
        [
            "train", "lsr", "--generator", ModelFixtures.Dir("qwen2-tiny"), "--retriever", ModelFixtures.Dir("bert-tiny-cls"), "--data", data,
            "--output", Path.Combine(_dir, run), "--epochs", epochs.ToString(), "--lr", "0.003", "--save-every", "1",
        ];
    }

    [Fact]
    public async Task Killed_lsr_run_resumes_to_the_same_query_encoder_bit_for_bit()
    {
        const int epochs = 40;
        var reference = await CliHarness.RunAsync(LsrArgs("reference", epochs));
        Assert.True(reference.ExitCode == 0, reference.Stderr);
        Assert.Contains("step 120/120 KL", reference.Stderr);
        Assert.Contains("generator scored 3 queries", reference.Stderr);
        Assert.Equal(Path.Combine(_dir, "reference", "query_encoder"), reference.Stdout.Trim());

        var args = LsrArgs("killed", epochs);
        Assert.NotNull(await KilledChild.RunUntilAsync(args, "step 20/", TestContext.Current.CancellationToken));
        Assert.False(File.Exists(Path.Combine(_dir, "killed", "query_encoder", "model.safetensors")), "the child finished before the kill");

        var resumed = await CliHarness.RunAsync([.. args, "--resume"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr);
        Assert.DoesNotContain("step 1/120 ", resumed.Stderr);
        Assert.Contains("generator scored 0 queries", resumed.Stderr);
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "reference", "query_encoder", "model.safetensors")),
            File.ReadAllBytes(Path.Combine(_dir, "killed", "query_encoder", "model.safetensors")));
        Assert.Equal(File.ReadAllText(Path.Combine(_dir, "reference", "train_log.jsonl")), File.ReadAllText(Path.Combine(_dir, "killed", "train_log.jsonl")));

        var other = await CliHarness.RunAsync([.. LsrArgs("killed", epochs).Select(a => a == "0.003" ? "0.001" : a), "--resume"]);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("learning_rate: was 0.003, now 0.001", other.Stderr);
    }
}
