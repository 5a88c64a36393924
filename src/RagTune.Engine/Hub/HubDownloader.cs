// Downloads the files inference needs from a Hugging Face Hub repository (or a mirror) into a local cache:
// resumable (HTTP Range from <file>.incomplete), verified (size, sha256 of LFS files, git blob id of the others), retried.
using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace RagTune.Engine.Hub;

public sealed partial class HubDownloader : IDisposable
{
    private const int BufferSize = 1 << 20;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    public HubDownloader()
        : this(new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = true,
            MaxAutomaticRedirections = 10,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(30),
        })
        { Timeout = Timeout.InfiniteTimeSpan }, ownsHttp: true)
    {
    }

    /// <summary>Uses the caller's client; it must follow redirects (the Hub sends LFS files through a CDN) and not decompress.</summary>
    public HubDownloader(HttpClient http) : this(http, ownsHttp: false)
    {
    }

    private HubDownloader(HttpClient http, bool ownsHttp)
    {
        _http = http;
        _ownsHttp = ownsHttp;
    }

    /// <summary>Local folder a pull of this repository and revision goes to: CACHE/owner--name/revision.</summary>
    public static string GetLocalDirectory(string repoId, HubPullOptions? options = null)
    {
        options ??= new HubPullOptions();
        CheckRepoId(repoId);
        CheckRevision(options.Revision);
        return Path.Combine(options.ResolveCacheDirectory(), repoId.Replace("/", "--"), options.Revision.Replace("/", "--"));
    }

    /// <summary>Lists a revision's files through GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true.</summary>
    public async Task<HubRepository> GetRepositoryAsync(string repoId, HubPullOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new HubPullOptions();
        CheckRepoId(repoId);
        CheckRevision(options.Revision);
        var context = new Context(repoId, options);
        var uri = new Uri($"{context.Endpoint}/api/models/{repoId}/revision/{Uri.EscapeDataString(options.Revision)}?blobs=true");
        byte[] json = await WithRetriesAsync(context, "listing the files of", async ct =>
        {
            using var request = context.NewRequest(uri);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(options.ReadTimeout);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                ThrowOnFailure(response, context, file: null);
                return await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"no answer from {uri} within {options.ReadTimeout.TotalSeconds:0} s");
            }
        }, cancellationToken).ConfigureAwait(false);
        return ParseRepository(json, uri, repoId, options.Revision);
    }

    /// <summary>
    /// Downloads what inference needs (see <see cref="HubFileFilter"/>) into the cache and returns the local folder.
    /// Files already complete there are kept; interrupted ones resume from their ".incomplete" part.
    /// </summary>
    public async Task<string> PullAsync(string repoId, HubPullOptions? options = null, IProgress<HubPullProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new HubPullOptions();
        var repository = await GetRepositoryAsync(repoId, options, cancellationToken).ConfigureAwait(false);
        var selected = repository.Files.Where(f => HubFileFilter.IsSelected(f.Path, options.Include, options.Exclude)).ToList();
        var context = new Context(repoId, options);
        if (!selected.Any(f => f.Path.EndsWith(".safetensors", StringComparison.Ordinal)) && options.Include.Count == 0)
        {
            string found = string.Join(", ", repository.Files.Select(f => f.Path).Take(12));
            throw new EngineException($"repository '{repoId}' at {context.Endpoint} (revision {options.Revision}) has no .safetensors weights; RagTune loads safetensors only (files: {found})");
        }

        string directory = GetLocalDirectory(repoId, options);
        Directory.CreateDirectory(directory);
        // Resolving by commit keeps every file from the same snapshot even if the branch moves during the pull.
        string resolveRevision = repository.CommitSha ?? options.Revision;
        long totalSize = selected.Sum(f => f.Size ?? 0);
        long doneBefore = 0;
        for (int i = 0; i < selected.Count; i++)
        {
            var file = selected[i];
            long before = doneBefore;
            int index = i;
            void Report(long bytes, bool completed) =>
                progress?.Report(new HubPullProgress(file.Path, index, selected.Count, bytes, file.Size, before + bytes, totalSize, completed));
            long length = await DownloadFileAsync(context, file, directory, resolveRevision, Report, cancellationToken).ConfigureAwait(false);
            doneBefore += length;
        }
        return directory;
    }

    private async Task<long> DownloadFileAsync(Context context, HubFile file, string directory, string revision,
        Action<long, bool> report, CancellationToken cancellationToken)
    {
        string target = Path.Combine(directory, file.Path.Replace('/', Path.DirectorySeparatorChar));
        string partial = target + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (File.Exists(target) && await IsCompleteAsync(target, file, cancellationToken).ConfigureAwait(false))
        {
            long cached = new FileInfo(target).Length;
            report(cached, true);
            return cached;
        }

        string escapedPath = string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString));
        var uri = new Uri($"{context.Endpoint}/{context.RepoId}/resolve/{Uri.EscapeDataString(revision)}/{escapedPath}");
        await WithRetriesAsync(context, $"downloading {file.Path} from", async ct =>
        {
            await TransferAsync(context, uri, file, partial, report, ct).ConfigureAwait(false);
            long length = new FileInfo(partial).Length;
            if (file.Size is long size && length < size)
                throw new TransientException($"the connection closed after {length} of {size} bytes");
            return true;
        }, cancellationToken).ConfigureAwait(false);

        string? problem = await VerifyAsync(partial, file, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            File.Delete(partial);
            throw new EngineException($"{file.Path} from repository '{context.RepoId}' failed verification: {problem}; the download was deleted");
        }
        File.Move(partial, target, overwrite: true);
        long total = new FileInfo(target).Length;
        report(total, true);
        return total;
    }

    private async Task TransferAsync(Context context, Uri uri, HubFile file, string partial, Action<long, bool> report, CancellationToken ct)
    {
        long existing = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        if (file.Size is long size && existing > size)
        {
            File.Delete(partial);
            existing = 0;
        }
        if (file.Size is long complete && existing == complete && File.Exists(partial))
            return;

        using var request = context.NewRequest(uri);
        if (existing > 0)
            request.Headers.Range = new RangeHeaderValue(existing, null);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var readTimeout = context.Options.ReadTimeout;
        timeout.CancelAfter(readTimeout);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                File.Delete(partial);
                throw new TransientException("the server refused to resume; starting the file over");
            }
            ThrowOnFailure(response, context, file.Path);
            FileMode mode = FileMode.Append;
            if (response.StatusCode == HttpStatusCode.PartialContent)
            {
                long? from = response.Content.Headers.ContentRange?.From;
                if (from != existing)
                {
                    File.Delete(partial);
                    throw new TransientException($"the server resumed at byte {from?.ToString() ?? "?"} instead of {existing}; starting the file over");
                }
            }
            else
            {
                // A 200 carries the whole file (the server ignored or was not sent a Range).
                mode = FileMode.Create;
                existing = 0;
            }
            report(existing, false);
            using var body = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            // Disposed synchronously even when the transfer fails, so what arrived stays in the partial file.
            using var output = OpenOutput(partial, mode);
            while (true)
            {
                timeout.CancelAfter(readTimeout);
                int read = await body.ReadAsync(buffer.AsMemory(0, BufferSize), timeout.Token).ConfigureAwait(false);
                if (read == 0)
                    break;
                try
                {
                    await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw new EngineException($"cannot write {partial}: {ex.Message}", ex);
                }
                existing += read;
                report(existing, false);
            }
            await output.FlushAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new TimeoutException($"no data from {uri.Host} for {readTimeout.TotalSeconds:0} s");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static FileStream OpenOutput(string path, FileMode mode)
    {
        try
        {
            return new FileStream(path, mode, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        }
        catch (IOException ex)
        {
            throw new EngineException($"cannot write {path}: {ex.Message}", ex);
        }
    }

    private static async Task<bool> IsCompleteAsync(string path, HubFile file, CancellationToken ct) =>
        await VerifyAsync(path, file, ct).ConfigureAwait(false) is null;

    /// <summary>Null when the file has the stated size and hash; else what differs.</summary>
    private static async Task<string?> VerifyAsync(string path, HubFile file, CancellationToken ct)
    {
        long length = new FileInfo(path).Length;
        if (file.Size is long size && length != size)
            return $"it has {length} bytes but the Hub lists {size}";
        if (file.Sha256 is not null)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, ct).ConfigureAwait(false));
            if (!string.Equals(actual, file.Sha256, StringComparison.OrdinalIgnoreCase))
                return $"sha256 is {actual} but the Hub lists {file.Sha256}";
        }
        else if (file.GitBlobId is not null)
        {
            string actual = await GitBlobIdAsync(path, length, ct).ConfigureAwait(false);
            if (!string.Equals(actual, file.GitBlobId, StringComparison.OrdinalIgnoreCase))
                return $"git blob id is {actual} but the Hub lists {file.GitBlobId}";
        }
        return null;
    }

    /// <summary>Git's object id of a file that is stored in git itself (not LFS): sha1("blob {length}\0" + content).</summary>
    private static async Task<string> GitBlobIdAsync(string path, long length, CancellationToken ct)
    {
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {length}\0"));
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            sha1.AppendData(buffer, 0, read);
        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    private static async Task<T> WithRetriesAsync<T>(Context context, string what, Func<CancellationToken, Task<T>> action, CancellationToken ct)
    {
        var options = context.Options;
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await action(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && !ct.IsCancellationRequested)
            {
                if (attempt >= options.MaxRetries)
                    throw new EngineException($"{what} repository '{context.RepoId}' at {context.Endpoint} failed after {attempt + 1} attempts: {ex.Message}", ex);
                double backoff = Math.Min(30, options.RetryDelay.TotalSeconds * Math.Pow(2, attempt));
                var delay = ex is TransientException { RetryAfter: { } retryAfter } && retryAfter.TotalSeconds <= 60 ? retryAfter : TimeSpan.FromSeconds(backoff);
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex is TransientException or HttpRequestException or TimeoutException
        || (ex is IOException && ex is not FileNotFoundException and not DirectoryNotFoundException);

    private static void ThrowOnFailure(HttpResponseMessage response, Context context, string? file)
    {
        if (response.IsSuccessStatusCode)
            return;
        int code = (int)response.StatusCode;
        string status = $"HTTP {code} {response.ReasonPhrase}";
        if (code is 408 or 429 or >= 500)
            throw new TransientException($"{status} from {response.RequestMessage?.RequestUri?.Host}") { RetryAfter = response.Headers.RetryAfter?.Delta };
        string? errorCode = response.Headers.TryGetValues("X-Error-Code", out var values) ? values.FirstOrDefault() : null;
        string repo = $"repository '{context.RepoId}'";
        string revision = context.Options.Revision;
        throw (code, errorCode) switch
        {
            (_, "RevisionNotFound") => new EngineException($"revision '{revision}' not found in {repo} at {context.Endpoint}"),
            (_, "GatedRepo") => new EngineException($"{repo} at {context.Endpoint} is gated: accept its terms on the Hub and set HF_TOKEN to a token of that account"),
            (404, _) when file is not null => new EngineException($"file '{file}' not found in {repo} at {context.Endpoint} (revision {revision})"),
            (404, _) => new EngineException($"{repo} not found at {context.Endpoint} (revision {revision})"),
            (401 or 403, _) when context.Token is null => new EngineException(
                $"{repo} at {context.Endpoint} refused access ({status}): it may be private, gated or missing; set HF_TOKEN to an access token"),
            (401 or 403, _) => new EngineException(
                $"{repo} at {context.Endpoint} refused access ({status}) with the token from HF_TOKEN: check that it is valid and may read this repository"),
            _ => new EngineException($"{(file is null ? "listing" : "downloading " + file + " from")} {repo} at {context.Endpoint} failed: {status}"),
        };
    }

    private static HubRepository ParseRepository(byte[] json, Uri uri, string repoId, string revision)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
                throw new EngineException($"{uri} did not answer with a \"siblings\" file list; is the endpoint a Hugging Face Hub (or a mirror of its API)?");
            string? sha = root.TryGetProperty("sha", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            var files = new List<HubFile>();
            foreach (var sibling in siblings.EnumerateArray())
            {
                if (sibling.ValueKind != JsonValueKind.Object || !sibling.TryGetProperty("rfilename", out var name) || name.ValueKind != JsonValueKind.String)
                    throw new EngineException($"{uri}: a siblings entry has no \"rfilename\"");
                string path = name.GetString()!;
                CheckRelativePath(path, uri);
                long? size = sibling.TryGetProperty("size", out var sz) && sz.ValueKind == JsonValueKind.Number ? sz.GetInt64() : null;
                string? sha256 = null;
                if (sibling.TryGetProperty("lfs", out var lfs) && lfs.ValueKind == JsonValueKind.Object)
                {
                    if (lfs.TryGetProperty("sha256", out var h) && h.ValueKind == JsonValueKind.String)
                        sha256 = h.GetString();
                    if (lfs.TryGetProperty("size", out var ls) && ls.ValueKind == JsonValueKind.Number)
                        size = ls.GetInt64();
                }
                string? blobId = sibling.TryGetProperty("blobId", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : null;
                files.Add(new HubFile(path, size, sha256, blobId));
            }
            return new HubRepository(repoId, revision, sha, files);
        }
        catch (JsonException ex)
        {
            throw new EngineException($"{uri} did not answer with JSON: {ex.Message}", ex);
        }
    }

    private static void CheckRepoId(string repoId)
    {
        ArgumentNullException.ThrowIfNull(repoId);
        if (!RepoIdPattern().IsMatch(repoId) || repoId.Contains(".."))
            throw new EngineException($"'{repoId}' is not a repository id; expected owner/name, e.g. Qwen/Qwen2.5-0.5B-Instruct");
    }

    /// <summary>Branches and tags may contain '/', but the revision also names a cache folder, so no ".." segments.</summary>
    private static void CheckRevision(string revision)
    {
        if (string.IsNullOrEmpty(revision) || revision.Any(c => char.IsControl(c) || c is '\\' or ':')
            || revision.Split('/').Any(segment => segment is "" or "." or ".."))
            throw new EngineException($"'{revision}' is not a revision; expected a branch, tag or commit such as main");
    }

    /// <summary>A file name from the server must stay inside the local folder.</summary>
    private static void CheckRelativePath(string path, Uri uri)
    {
        if (path.Length == 0 || path.StartsWith('/') || path.Contains('\\') || path.Contains(':')
            || path.Split('/').Any(segment => segment is "" or "." or ".."))
            throw new EngineException($"{uri} lists the file '{path}', which is not a safe relative path");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")]
    private static partial Regex RepoIdPattern();

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }

    private sealed class Context(string repoId, HubPullOptions options)
    {
        public string RepoId { get; } = repoId;
        public HubPullOptions Options { get; } = options;
        public string Endpoint { get; } = options.ResolveEndpoint();
        public string? Token { get; } = options.ResolveToken();

        public HttpRequestMessage NewRequest(Uri uri)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("ragtune", "0.1"));
            // HttpClient drops Authorization on redirects, so pre-signed CDN URLs never see the token.
            if (Token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            return request;
        }
    }

    private sealed class TransientException(string message) : Exception(message)
    {
        public TimeSpan? RetryAfter { get; init; }
    }
}
