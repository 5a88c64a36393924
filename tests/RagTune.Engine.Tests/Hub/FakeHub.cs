// A local stand-in for the Hugging Face Hub (Kestrel on 127.0.0.1, port 0): the model-info API, resolve URLs that
// redirect LFS files to a CDN path, Range requests answered with 206, and faults (dropped connections, 503s, bad hashes).
using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RagTune.Engine.Tests.Hub;

public sealed class FakeHub : IAsyncDisposable
{
    public sealed record RepoFile(string Path, byte[] Content, bool Lfs);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (string Sha, List<RepoFile> Files)> _repos = new();

    public string Endpoint { get; private set; } = "";

    /// <summary>When set, API and resolve requests need "Authorization: Bearer {RequiredToken}".</summary>
    public string? RequiredToken { get; set; }

    /// <summary>Files whose first response is cut off after this many bytes (the connection is aborted), once per file.</summary>
    public ConcurrentDictionary<string, long> DropOnceAfter { get; } = new();

    /// <summary>Files whose first response ends cleanly after this many bytes, without a Content-Length, once per file.</summary>
    public ConcurrentDictionary<string, long> TruncateOnceAfter { get; } = new();

    /// <summary>Files whose first response stops sending after this many bytes and hangs until the client gives up.</summary>
    public ConcurrentDictionary<string, long> StallOnceAfter { get; } = new();

    /// <summary>Number of 503 answers to give before serving each file normally.</summary>
    public int FailuresBeforeSuccess { get; set; }

    /// <summary>Files whose listed LFS sha256 is wrong.</summary>
    public HashSet<string> WrongSha { get; } = [];

    public ConcurrentQueue<string> Requests { get; } = new();
    public ConcurrentQueue<(string Path, string? Range, string? Authorization)> ContentRequests { get; } = new();

    private readonly ConcurrentDictionary<string, int> _failuresServed = new();

    private FakeHub(WebApplication app) => _app = app;

    public static async Task<FakeHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var hub = new FakeHub(app);
        app.Use(async (context, next) =>
        {
            hub.Requests.Enqueue(context.Request.Path + context.Request.QueryString);
            await next(context);
        });
        app.MapGet("/api/models/{owner}/{name}/revision/{revision}", hub.ApiAsync);
        app.MapGet("/{owner}/{name}/resolve/{revision}/{**path}", hub.ResolveAsync);
        app.MapGet("/cdn/{owner}/{name}/{**path}", hub.CdnAsync);
        await app.StartAsync();
        hub.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return hub;
    }

    public string AddRepo(string repoId, params RepoFile[] files)
    {
        string sha = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(repoId)));
        _repos[repoId] = (sha, files.ToList());
        return sha;
    }

    public static RepoFile Text(string path, string content) => new(path, Encoding.UTF8.GetBytes(content), Lfs: false);

    public static RepoFile Binary(string path, int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return new RepoFile(path, bytes, Lfs: true);
    }

    private bool Authorized(HttpContext context) =>
        RequiredToken is null || context.Request.Headers.Authorization.ToString() == "Bearer " + RequiredToken;

    private async Task ApiAsync(HttpContext context, string owner, string name, string revision)
    {
        if (!Authorized(context))
        {
            context.Response.StatusCode = 401;
            return;
        }
        if (!_repos.TryGetValue($"{owner}/{name}", out var repo))
        {
            // The Hub names the failure in X-Error-Code.
            context.Response.Headers["X-Error-Code"] = "RepoNotFound";
            context.Response.StatusCode = 404;
            return;
        }
        if (revision != "main" && revision != repo.Sha)
        {
            context.Response.Headers["X-Error-Code"] = "RevisionNotFound";
            context.Response.StatusCode = 404;
            return;
        }
        var siblings = repo.Files.Select(f => f.Lfs
            ? (object)new
            {
                rfilename = f.Path,
                size = f.Content.Length,
                blobId = "0000000000000000000000000000000000000000",
                lfs = new { sha256 = WrongSha.Contains(f.Path) ? new string('0', 64) : Convert.ToHexStringLower(SHA256.HashData(f.Content)), size = f.Content.Length, pointerSize = 134 },
            }
            : new { rfilename = f.Path, size = f.Content.Length, blobId = GitBlobId(f.Content) });
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(new { id = $"{owner}/{name}", sha = repo.Sha, siblings }));
    }

    private async Task ResolveAsync(HttpContext context, string owner, string name, string revision, string path)
    {
        if (!Authorized(context))
        {
            context.Response.StatusCode = 401;
            return;
        }
        var file = Find(owner, name, path);
        if (file is null || (revision != "main" && revision != _repos[$"{owner}/{name}"].Sha))
        {
            context.Response.Headers["X-Error-Code"] = "EntryNotFound";
            context.Response.StatusCode = 404;
            return;
        }
        if (file.Lfs)
        {
            // Like the Hub: LFS content comes from a CDN URL that needs no token.
            context.Response.Redirect($"/cdn/{owner}/{name}/{path}");
            return;
        }
        await ServeAsync(context, file);
    }

    private Task CdnAsync(HttpContext context, string owner, string name, string path)
    {
        var file = Find(owner, name, path);
        if (file is null)
        {
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        }
        return ServeAsync(context, file);
    }

    private RepoFile? Find(string owner, string name, string path) =>
        _repos.TryGetValue($"{owner}/{name}", out var repo) ? repo.Files.FirstOrDefault(f => f.Path == path) : null;

    private async Task ServeAsync(HttpContext context, RepoFile file)
    {
        string? range = context.Request.Headers.Range.Count > 0 ? context.Request.Headers.Range.ToString() : null;
        string? auth = context.Request.Headers.Authorization.Count > 0 ? context.Request.Headers.Authorization.ToString() : null;
        ContentRequests.Enqueue((file.Path, range, auth));
        if (_failuresServed.AddOrUpdate(file.Path, 1, (_, n) => n + 1) <= FailuresBeforeSuccess)
        {
            context.Response.StatusCode = 503;
            return;
        }
        long start = 0;
        if (range is not null)
        {
            if (!range.StartsWith("bytes=", StringComparison.Ordinal) || !range.EndsWith('-') || !long.TryParse(range[6..^1], out start))
            {
                context.Response.StatusCode = 400;
                return;
            }
            if (start >= file.Content.Length)
            {
                context.Response.StatusCode = (int)HttpStatusCode.RequestedRangeNotSatisfiable;
                context.Response.Headers.ContentRange = $"bytes */{file.Content.Length}";
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{file.Content.Length - 1}/{file.Content.Length}";
        }
        context.Response.ContentType = "application/octet-stream";
        if (TruncateOnceAfter.TryRemove(file.Path, out long truncateAfter))
        {
            // Chunked and complete as far as HTTP goes: only the size check can notice the missing bytes.
            await context.Response.Body.WriteAsync(file.Content.AsMemory((int)start, (int)Math.Min(truncateAfter, file.Content.Length - start)));
            return;
        }
        context.Response.ContentLength = file.Content.Length - start;
        if (StallOnceAfter.TryRemove(file.Path, out long stallAfter))
        {
            await context.Response.Body.WriteAsync(file.Content.AsMemory((int)start, (int)Math.Min(stallAfter, file.Content.Length - start)));
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client hung up, as it should.
            }
            return;
        }
        if (DropOnceAfter.TryRemove(file.Path, out long dropAfter))
        {
            int sent = (int)Math.Min(dropAfter, file.Content.Length - start);
            await context.Response.Body.WriteAsync(file.Content.AsMemory((int)start, sent));
            await context.Response.Body.FlushAsync();
            // Let the transport put the bytes on the wire first: aborting discards output still queued in Kestrel.
            await Task.Delay(500);
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(file.Content.AsMemory((int)start));
    }

    public static string GitBlobId(byte[] content)
    {
        var header = Encoding.ASCII.GetBytes($"blob {content.Length}\0");
        return Convert.ToHexStringLower(SHA1.HashData([.. header, .. content]));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
