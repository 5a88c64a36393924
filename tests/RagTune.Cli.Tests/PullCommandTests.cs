// `ragtune pull` end to end, in-process, against a local fake Hub.
using RagTune.Engine.Tests.Hub;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Cli.Tests;

public sealed class PullCommandTests : IAsyncLifetime
{
    private readonly TempDirectory _cache = new();
    private FakeHub _hub = null!;
    private static readonly FakeHub.RepoFile Weights = FakeHub.Binary("model.safetensors", 200_000, seed: 9);

    public async ValueTask InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        _hub.AddRepo("acme/tiny", FakeHub.Text("config.json", "{}"), Weights, FakeHub.Text("tokenizer.json", "{}"),
            FakeHub.Binary("pytorch_model.bin", 1000, seed: 3));
    }

    public async ValueTask DisposeAsync()
    {
        await _hub.DisposeAsync();
        _cache.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pull_prints_the_local_folder_and_exits_zero()
    {
        var (code, stdout, stderr) = await CliHarness.RunAsync(["pull", "acme/tiny", "--endpoint", _hub.Endpoint, "--cache-dir", _cache.Path], null, Ct);
        Assert.True(code == 0, stderr);
        string dir = Path.Combine(_cache.Path, "acme--tiny", "main");
        Assert.Equal(dir, stdout.Trim());
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(dir, "config.json")));
        Assert.True(File.Exists(Path.Combine(dir, "tokenizer.json")));
        Assert.False(File.Exists(Path.Combine(dir, "pytorch_model.bin")));
        Assert.Contains("model.safetensors", stderr);
    }

    [Fact]
    public async Task Endpoint_token_and_cache_come_from_the_environment()
    {
        _hub.RequiredToken = "hf_env_token";
        _hub.TruncateOnceAfter["model.safetensors"] = 50_000;
        var env = new Dictionary<string, string?> { ["HF_ENDPOINT"] = _hub.Endpoint, ["HF_TOKEN"] = "hf_env_token", ["RAGTUNE_CACHE"] = _cache.Path };
        var result = await CliHarness.RunAsync(["pull", "acme/tiny", "--quiet"], env, Ct);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("", result.Stderr);
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(result.Stdout.Trim(), "model.safetensors")));
        // The dropped transfer resumed with a Range request.
        Assert.Contains(_hub.ContentRequests, r => r.Path == "model.safetensors" && r.Range == "bytes=50000-");
    }

    [Fact]
    public async Task Unknown_repository_fails_with_one_clear_line()
    {
        var result = await CliHarness.RunAsync(["pull", "acme/nothing", "--endpoint", _hub.Endpoint, "--cache-dir", _cache.Path], null, Ct);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("", result.Stdout);
        Assert.Equal([$"ragtune: error: repository 'acme/nothing' not found at {_hub.Endpoint} (revision main)"], result.ErrorLines);
    }

    [Fact]
    public async Task Missing_token_names_HF_TOKEN()
    {
        _hub.RequiredToken = "hf_x";
        var env = new Dictionary<string, string?> { ["HF_TOKEN"] = null, ["HUGGING_FACE_HUB_TOKEN"] = null };
        var result = await CliHarness.RunAsync(["pull", "acme/tiny", "--endpoint", _hub.Endpoint, "--cache-dir", _cache.Path], env, Ct);
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Contains("HF_TOKEN", result.Stderr);
    }

    [Fact]
    public async Task Bad_sha_is_an_error_naming_the_file()
    {
        _hub.WrongSha.Add("model.safetensors");
        var result = await CliHarness.RunAsync(["pull", "acme/tiny", "--endpoint", _hub.Endpoint, "--cache-dir", _cache.Path, "-q"], null, Ct);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("ragtune: error: model.safetensors", line);
        Assert.Contains("sha256", line);
        Assert.False(File.Exists(Path.Combine(_cache.Path, "acme--tiny", "main", "model.safetensors")));
    }

    [Fact]
    public async Task Include_and_revision_options_are_honoured()
    {
        var result = await CliHarness.RunAsync(["pull", "acme/tiny", "--endpoint", _hub.Endpoint, "--cache-dir", _cache.Path,
            "--include", "*.bin", "--exclude", "tokenizer.json", "--revision", "main", "-q"], null, Ct);
        Assert.True(result.ExitCode == 0, result.Stderr);
        string dir = result.Stdout.Trim();
        Assert.True(File.Exists(Path.Combine(dir, "pytorch_model.bin")));
        Assert.False(File.Exists(Path.Combine(dir, "tokenizer.json")));
    }

    [Fact]
    public async Task Endpoint_that_is_not_a_url_is_one_clear_line()
    {
        var result = await CliHarness.RunAsync(["pull", "acme/tiny", "--endpoint", "hub.local", "--cache-dir", _cache.Path], null, Ct);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["ragtune: error: Hub endpoint 'hub.local' is not an http(s) URL"], result.ErrorLines);
    }

    [Fact]
    public async Task Help_lists_the_options()
    {
        var result = await CliHarness.RunAsync(["pull", "--help"], null, Ct);
        Assert.Equal(0, result.ExitCode);
        foreach (var option in new[] { "--endpoint", "--revision", "--cache-dir", "--include", "--exclude", "HF_TOKEN", "main" })
            Assert.Contains(option, result.Stdout);
    }

    [Fact]
    public async Task Missing_argument_is_a_usage_error()
    {
        var result = await CliHarness.RunAsync(["pull"], null, Ct);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("repo-id", result.Stderr + result.Stdout);
    }
}
