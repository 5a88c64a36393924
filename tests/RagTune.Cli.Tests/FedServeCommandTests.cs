// `ragtune fed serve` as a user runs it: bad settings are one error line naming the option; a run that gets no site within
// --client-wait fails clearly and leaves a resumable output folder (journal + the initial global adapter).
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Tensors;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class FedServeCommandTests
{
    [Theory]
    [InlineData(new[] { "--min-clients", "2", "--min-fit", "3" }, "ragtune: error: fed serve: --min-fit (min_fit_clients) is 3; expected at most --min-clients (2)")]
    [InlineData(new[] { "--listen", "nope" }, "ragtune: error: fed serve: listen address 'nope' is not HOST:PORT; expected e.g. 127.0.0.1:8080 or [::]:8080")]
    [InlineData(new[] { "--listen", "0.0.0.0:0" }, "ragtune: error: fed serve: 0.0.0.0:0 is reachable beyond this machine, so it needs site keys (--keys) and TLS (--tls-cert/--tls-key); pass --insecure to serve without them")]
    [InlineData(new[] { "--round-timeout", "0" }, "ragtune: error: --round-timeout expects a positive number of seconds; got 0")]
    [InlineData(new[] { "--keys", "no-such.keys" }, "ragtune: error: no-such.keys: site keys file not found")]
    public async Task Bad_settings_are_one_error_line(string[] args, string expected)
    {
        using var dir = new TempDirectory();
        string[] listen = args.Contains("--listen") ? [] : ["--listen", "127.0.0.1:0"];
        var result = await CliHarness.RunAsync(["fed", "serve", "--out", dir.File("out"), .. listen, .. args]);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal([expected], result.ErrorLines);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task No_site_within_the_wait_is_a_clear_failure_that_leaves_a_resumable_folder()
    {
        using var dir = new TempDirectory();
        string init = dir.File("init");
        var options = new LoraOptions { Rank = 2, Alpha = 4, TargetModules = ["q_proj"] };
        PeftAdapter.Save(init, new AdapterSet([KeyValuePair.Create("model.layers.0.self_attn.q_proj",
            new LoraAdapter(4, 4, 2, 4, false, 0, new float[8], new float[8]))], "t"), options, "tiny");

        var result = await CliHarness.RunAsync("fed", "serve", "--out", dir.File("out"), "--listen", "127.0.0.1:0", "--rounds", "2",
            "--min-clients", "1", "--client-wait", "0.5", "--init-adapter", init);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("ragtune: error: round 1: 0 sites connected within 0.5 s; expected at least 1 (min_available_clients)", result.ErrorLines[^1]);
        Assert.Contains(result.ErrorLines, l => l.StartsWith("ragtune: aggregator listening on http://127.0.0.1:", StringComparison.Ordinal));
        using var journal = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.File("out"), "federation.json")));
        Assert.Equal(0, journal.RootElement.GetProperty("finished_rounds").GetInt32());
        Assert.Equal("rounds/round-0000", journal.RootElement.GetProperty("global_adapter").GetString());
        Assert.Equal(File.ReadAllText(Path.Combine(init, "adapter_config.json")),
            File.ReadAllText(Path.Combine(dir.File("out"), "rounds", "round-0000", "adapter_config.json")));
    }
}
