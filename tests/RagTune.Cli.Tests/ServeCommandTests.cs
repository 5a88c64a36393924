// `ragtune serve` as a user runs it: a child process on a free port with the tiny chat model, called over HTTP
// (/v1/models, /v1/chat/completions), then stopped with SIGTERM and expected to exit cleanly; bad arguments fail clearly.
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit;

namespace RagTune.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task Serves_the_openai_api_over_http_and_stops_cleanly_on_sigterm()
    {
        var ct = TestContext.Current.CancellationToken;
        using var child = ChildCli.Start("serve", "--port", "0", "--model", "tiny=" + ModelFixtures.Dir("qwen2-tiny"));
        // Port 0: the server picks a free port and prints the address it listens on once it is ready.
        await child.WaitUntilAsync(() => Serving().IsMatch(child.Output), TimeSpan.FromSeconds(60), "serving", ct);
        var baseUrl = new Uri(Serving().Match(child.Output).Groups[1].Value + "/");
        using var http = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };

        using (var models = JsonDocument.Parse(await http.GetStringAsync("v1/models", ct)))
        {
            Assert.Equal("list", models.RootElement.GetProperty("object").GetString());
            var model = Assert.Single(models.RootElement.GetProperty("data").EnumerateArray());
            Assert.Equal("tiny", model.GetProperty("id").GetString());
        }

        using var reply = await http.PostAsJsonAsync("v1/chat/completions", new
        {
            model = "tiny",
            messages = new[] { new { role = "user", content = "Where is the Aldor pump?" } },
            max_tokens = 4,
            temperature = 0,
        }, ct);
        string body = await reply.Content.ReadAsStringAsync(ct);
        Assert.True(reply.IsSuccessStatusCode, body);
        using (var completion = JsonDocument.Parse(body))
        {
            var root = completion.RootElement;
            Assert.Equal("chat.completion", root.GetProperty("object").GetString());
            Assert.Equal("tiny", root.GetProperty("model").GetString());
            var choice = Assert.Single(root.GetProperty("choices").EnumerateArray());
            Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
            Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
            Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
            Assert.Equal(4, root.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        }

        child.Terminate();
        Assert.Equal(0, await child.WaitForExitAsync(TimeSpan.FromSeconds(20), ct));
        Assert.Contains("ragtune: stopped", child.Output, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync("v1/models", ct));
    }

    [Fact]
    public async Task Bad_arguments_exit_non_zero_with_one_clear_line()
    {
        var r = await CliHarness.RunAsync("serve", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("ragtune: error: nothing to serve: give --model NAME=DIR or --config FILE", Assert.Single(r.ErrorLines));

        r = await CliHarness.RunAsync("serve", "--port", "0", "--model", "tiny");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("ragtune: error: --model 'tiny' is not NAME=DIR", Assert.Single(r.ErrorLines));

        string nowhere = Path.Combine(Path.GetTempPath(), "ragtune-no-such-model-" + Guid.NewGuid().ToString("N"));
        r = await CliHarness.RunAsync("serve", "--port", "0", "--model", "tiny=" + nowhere);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains(nowhere, Assert.Single(r.ErrorLines), StringComparison.Ordinal);

        r = await CliHarness.RunAsync("serve", "--host", "0.0.0.0", "--port", "0", "--model", "tiny=" + ModelFixtures.Dir("qwen2-tiny"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("no API key is configured", Assert.Single(r.ErrorLines), StringComparison.Ordinal);

        // A real child too: the exit code the shell sees, not only the in-process one.
        using var child = ChildCli.Start("serve", "--port", "not-a-port");
        Assert.NotEqual(0, await child.WaitForExitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken));
        Assert.Contains("not-a-port", child.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_request_body_bytes: -5", "': max_request_body_bytes is -5; expected an integer ≥ 1")]
    [InlineData("max_concurrent_per_model: 0", "': max_concurrent_per_model is 0; expected an integer ≥ 1")]
    [InlineData("max_queue_per_model: lots", "' line 1: max_queue_per_model is 'lots'; expected an integer")]
    public async Task Config_mistakes_name_the_file_the_field_and_the_expected_range(string line, string message)
    {
        string dir = Directory.CreateTempSubdirectory("ragtune-serve-config-").FullName;
        try
        {
            string config = Path.Combine(dir, "server.yaml");
            File.WriteAllText(config, line + "\n");
            var r = await CliHarness.RunAsync("serve", "--port", "0", "--config", config, "--model", "tiny=" + ModelFixtures.Dir("qwen2-tiny"));
            Assert.Equal(1, r.ExitCode);
            Assert.Equal($"ragtune: error: server config '{config}{message}", Assert.Single(r.ErrorLines));
            Assert.Equal("", r.Stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"ragtune: serving on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Serving();
}
