// Pulls from a local fake Hub: file selection, redirects, resume after a dropped connection, retries, verification, errors.
using RagTune.Engine.Hub;
using RagTune.Engine.Tensors;
using RagTune.Engine.Tests.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Hub;

public sealed class HubDownloaderTests : IAsyncLifetime
{
    private readonly TempDirectory _cache = new();
    private FakeHub _hub = null!;
    private string _commit = "";
    private readonly HubDownloader _downloader = new();

    private static readonly FakeHub.RepoFile Weights = FakeHub.Binary("model.safetensors", 300_000, seed: 1);

    public async ValueTask InitializeAsync()
    {
        _hub = await FakeHub.StartAsync();
        _commit = _hub.AddRepo("acme/tiny",
            FakeHub.Text("config.json", """{"model_type":"qwen2"}"""),
            Weights,
            FakeHub.Text("tokenizer.json", """{"model":{}}"""),
            FakeHub.Text("1_Pooling/config.json", """{"pooling_mode_cls_token":true}"""),
            FakeHub.Binary("pytorch_model.bin", 5000, seed: 2),
            FakeHub.Binary("onnx/model.onnx", 5000, seed: 3),
            FakeHub.Text("README.md", "# tiny"),
            FakeHub.Text(".gitattributes", "*.safetensors filter=lfs"));
    }

    public async ValueTask DisposeAsync()
    {
        _downloader.Dispose();
        await _hub.DisposeAsync();
        _cache.Dispose();
    }

    private HubPullOptions Options() => new()
    {
        Endpoint = _hub.Endpoint,
        CacheDirectory = _cache.Path,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        Token = "",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] LocalFiles(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public async Task Pull_downloads_only_what_inference_needs_into_the_cache()
    {
        string dir = await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        Assert.Equal(Path.Combine(_cache.Path, "acme--tiny", "main"), dir);
        Assert.Equal(["1_Pooling/config.json", "config.json", "model.safetensors", "tokenizer.json"], LocalFiles(dir));
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.Equal("""{"pooling_mode_cls_token":true}""", File.ReadAllText(Path.Combine(dir, "1_Pooling", "config.json")));
        // The LFS file went through the CDN redirect, and files were resolved at the listed commit.
        Assert.Contains(_hub.Requests, r => r.StartsWith("/cdn/acme/tiny/model.safetensors", StringComparison.Ordinal));
        Assert.Contains($"/acme/tiny/resolve/{_commit}/config.json", _hub.Requests);
        Assert.Contains($"/acme/tiny/resolve/{_commit}/1_Pooling/config.json", _hub.Requests);
        Assert.DoesNotContain(_hub.Requests, r => r.Contains("pytorch_model.bin") || r.Contains("onnx") || r.Contains("README"));
    }

    [Fact]
    public async Task A_pulled_sharded_checkpoint_opens_and_reads()
    {
        using var source = new TempDirectory();
        var tensors = Enumerable.Range(0, 6).Select(i => SafeTensorEntry.FromFloat32AsBF16($"model.layers.{i}.mlp.weight",
            Enumerable.Range(0, 256).Select(j => (float)(i - j)).ToArray(), 16, 16)).ToList();
        var written = SafeTensorWriter.WriteSharded(source.Path, tensors, maxShardBytes: 1200, new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(4, written.Count);
        _hub.AddRepo("acme/sharded", written
            .Select(name => new FakeHub.RepoFile(name, File.ReadAllBytes(source.File(name)), Lfs: name.EndsWith(".safetensors", StringComparison.Ordinal)))
            .Append(FakeHub.Text("config.json", "{}"))
            .ToArray());

        string dir = await _downloader.PullAsync("acme/sharded", Options(), cancellationToken: Ct);
        using var checkpoint = Checkpoint.Open(dir);
        Assert.Equal(3, checkpoint.Files.Count);
        for (int i = 0; i < 6; i++)
            Assert.Equal(i - 255f, checkpoint.ReadFloat32($"model.layers.{i}.mlp.weight")[255]);
    }

    [Fact]
    public async Task Dropped_connection_resumes_with_a_range_request()
    {
        _hub.DropOnceAfter["model.safetensors"] = 100_000;
        var progress = new List<HubPullProgress>();
        string dir = await _downloader.PullAsync("acme/tiny", Options(), new SyncProgress(progress.Add), Ct);
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors.incomplete")));
        var requests = _hub.ContentRequests.Where(r => r.Path == "model.safetensors").ToList();
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        long resumedAt = long.Parse(requests[1].Range!["bytes=".Length..^1]);
        Assert.InRange(resumedAt, 1, 100_000);
        // Progress never goes backwards within a file and ends with every byte accounted for.
        var last = progress[^1];
        Assert.True(last.Completed);
        Assert.Equal(last.TotalSize, last.TotalBytes);
        Assert.Equal(4, last.FileCount);
    }

    [Fact]
    public async Task Response_that_ends_early_without_error_is_resumed()
    {
        _hub.TruncateOnceAfter["model.safetensors"] = 77_777;
        string dir = await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.Equal([null, "bytes=77777-"], _hub.ContentRequests.Where(r => r.Path == "model.safetensors").Select(r => r.Range));
    }

    [Fact]
    public async Task Stalled_transfer_times_out_and_resumes()
    {
        _hub.StallOnceAfter["model.safetensors"] = 64_000;
        var options = Options();
        options.ReadTimeout = TimeSpan.FromMilliseconds(300);
        string dir = await _downloader.PullAsync("acme/tiny", options, cancellationToken: Ct);
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        var ranges = _hub.ContentRequests.Where(r => r.Path == "model.safetensors").Select(r => r.Range).ToList();
        Assert.Equal(2, ranges.Count);
        Assert.Null(ranges[0]);
        Assert.Equal("bytes=64000-", ranges[1]);
    }

    [Fact]
    public async Task Partial_file_larger_than_the_listed_size_starts_over()
    {
        string dir = HubDownloader.GetLocalDirectory("acme/tiny", Options());
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors.incomplete"), new byte[Weights.Content.Length + 10]);
        await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        Assert.Null(_hub.ContentRequests.Single(r => r.Path == "model.safetensors").Range);
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task Progress_is_monotonic_and_reports_each_file_once_completed()
    {
        var reports = new List<HubPullProgress>();
        await _downloader.PullAsync("acme/tiny", Options(), new SyncProgress(reports.Add), Ct);
        for (int i = 1; i < reports.Count; i++)
            Assert.True(reports[i].TotalBytes >= reports[i - 1].TotalBytes);
        var completed = reports.Where(r => r.Completed).ToList();
        Assert.Equal(["config.json", "model.safetensors", "tokenizer.json", "1_Pooling/config.json"], completed.Select(r => r.File));
        Assert.All(completed, r => Assert.Equal(r.FileSize, r.FileBytes));
        Assert.Equal(Weights.Content.Length + 22 + 12 + 31, completed[^1].TotalSize);
    }

    [Fact]
    public async Task Partial_file_from_an_earlier_run_is_resumed()
    {
        string dir = HubDownloader.GetLocalDirectory("acme/tiny", Options());
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors.incomplete"), Weights.Content[..123_456]);
        await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        Assert.Equal("bytes=123456-", _hub.ContentRequests.Single(r => r.Path == "model.safetensors").Range);
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task Transient_server_errors_are_retried()
    {
        _hub.FailuresBeforeSuccess = 2;
        string dir = await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
        Assert.Equal(3, _hub.ContentRequests.Count(r => r.Path == "model.safetensors"));
    }

    [Fact]
    public async Task Exhausted_retries_give_a_clear_error()
    {
        _hub.FailuresBeforeSuccess = 100;
        var options = Options();
        options.MaxRetries = 2;
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/tiny", options, cancellationToken: Ct));
        Assert.Contains("failed after 3 attempts", ex.Message);
        Assert.Contains("503", ex.Message);
    }

    [Fact]
    public async Task Complete_files_are_not_downloaded_again_but_damaged_ones_are()
    {
        string dir = await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        int before = _hub.ContentRequests.Count;
        await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        Assert.Equal(before, _hub.ContentRequests.Count);

        // Same size, different bytes: the sha256 check catches it (and the git blob id for config.json).
        var damaged = Weights.Content.ToArray();
        damaged[5] ^= 0xFF;
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), damaged);
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"model_type":"qwen3"}""");
        await _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct);
        Assert.Equal(["config.json", "model.safetensors"], _hub.ContentRequests.Skip(before).Select(r => r.Path).Order());
        Assert.Equal(Weights.Content, File.ReadAllBytes(Path.Combine(dir, "model.safetensors")));
    }

    [Fact]
    public async Task Sha_mismatch_names_the_file_and_deletes_the_download()
    {
        _hub.WrongSha.Add("model.safetensors");
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct));
        Assert.Contains("model.safetensors", ex.Message);
        Assert.Contains("sha256", ex.Message);
        string dir = HubDownloader.GetLocalDirectory("acme/tiny", Options());
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors.incomplete")));
    }

    [Fact]
    public async Task Unknown_repository()
    {
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/missing", Options(), cancellationToken: Ct));
        Assert.Equal($"repository 'acme/missing' not found at {_hub.Endpoint} (revision main)", ex.Message);
    }

    [Fact]
    public async Task Unknown_revision()
    {
        var options = Options();
        options.Revision = "v9";
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/tiny", options, cancellationToken: Ct));
        Assert.Equal($"revision 'v9' not found in repository 'acme/tiny' at {_hub.Endpoint}", ex.Message);
    }

    [Fact]
    public async Task Private_repository_needs_a_token_that_never_reaches_the_cdn()
    {
        _hub.RequiredToken = "hf_secret";
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/tiny", Options(), cancellationToken: Ct));
        Assert.Contains("HF_TOKEN", ex.Message);
        Assert.Contains("401", ex.Message);

        var options = Options();
        options.Token = "hf_wrong";
        ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/tiny", options, cancellationToken: Ct));
        Assert.Contains("HF_TOKEN", ex.Message);

        options.Token = "hf_secret";
        string dir = await _downloader.PullAsync("acme/tiny", options, cancellationToken: Ct);
        Assert.True(File.Exists(Path.Combine(dir, "model.safetensors")));
        Assert.Null(_hub.ContentRequests.Single(r => r.Path == "model.safetensors").Authorization);
        Assert.Equal("Bearer hf_secret", _hub.ContentRequests.Single(r => r.Path == "config.json").Authorization);
    }

    [Fact]
    public async Task Include_and_exclude_adjust_the_selection()
    {
        var options = Options();
        options.Include = ["*.md"];
        options.Exclude = ["tokenizer.json", "**/config.json"];
        string dir = await _downloader.PullAsync("acme/tiny", options, cancellationToken: Ct);
        Assert.Equal(["README.md", "model.safetensors"], LocalFiles(dir));
    }

    [Fact]
    public async Task Repository_without_safetensors_is_refused()
    {
        _hub.AddRepo("acme/old", FakeHub.Text("config.json", "{}"), FakeHub.Binary("pytorch_model.bin", 100, seed: 4));
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/old", Options(), cancellationToken: Ct));
        Assert.Contains("no .safetensors", ex.Message);
        Assert.Contains("pytorch_model.bin", ex.Message);
    }

    [Fact]
    public async Task Cancellation_stops_the_pull()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var progress = new SyncProgress(p =>
        {
            if (p.File == "model.safetensors" && p.FileBytes > 0)
                cts.Cancel();
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _downloader.PullAsync("acme/tiny", Options(), progress, cts.Token));
        string dir = HubDownloader.GetLocalDirectory("acme/tiny", Options());
        Assert.False(File.Exists(Path.Combine(dir, "model.safetensors")));
    }

    [Theory]
    [InlineData("no pe")]
    [InlineData("a/b/c")]
    [InlineData("../etc")]
    [InlineData("acme/..")]
    public async Task Malformed_repository_ids_are_refused(string repoId)
    {
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync(repoId, Options(), cancellationToken: Ct));
        Assert.Contains("not a repository id", ex.Message);
    }

    [Theory]
    [InlineData("..")]
    [InlineData("refs/../../x")]
    [InlineData("")]
    public async Task Malformed_revisions_are_refused(string revision)
    {
        var options = Options();
        options.Revision = revision;
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/tiny", options, cancellationToken: Ct));
        Assert.Contains("not a revision", ex.Message);
    }

    [Fact]
    public void Revisions_with_slashes_get_a_flat_cache_folder()
    {
        var options = Options();
        options.Revision = "refs/pr/1";
        Assert.Equal(Path.Combine(_cache.Path, "acme--tiny", "refs--pr--1"), HubDownloader.GetLocalDirectory("acme/tiny", options));
    }

    [Fact]
    public async Task Unsafe_file_names_from_the_server_are_refused()
    {
        _hub.AddRepo("acme/evil", FakeHub.Text("../escape.safetensors", "x"));
        var ex = await Assert.ThrowsAsync<EngineException>(() => _downloader.PullAsync("acme/evil", Options(), cancellationToken: Ct));
        Assert.Contains("not a safe relative path", ex.Message);
    }

    [Fact]
    public void Git_blob_id_of_the_fake_matches_git()
    {
        // `printf 'hello\n' | git hash-object --stdin`
        Assert.Equal("ce013625030ba8dba906f756967f9e9ca394464a", FakeHub.GitBlobId("hello\n"u8.ToArray()));
    }

    private sealed class SyncProgress(Action<HubPullProgress> report) : IProgress<HubPullProgress>
    {
        public void Report(HubPullProgress value) => report(value);
    }
}
