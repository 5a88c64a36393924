// Wraps a teacher with bounded concurrency, retries with exponential backoff + jitter, Retry-After and a per-request timeout.
using System.ClientModel;
using System.Globalization;
using System.Net;

namespace RagTune.Raft.Teachers;

/// <summary>
/// Retries 408/409/429/5xx, malformed replies (<see cref="MalformedReplyException"/>), timeouts and connection failures; other HTTP errors (400, 401, 404…) fail at once with a
/// <see cref="RaftException"/> naming the status. A slot of the concurrency gate is held only while a request is on the
/// wire, not while waiting to retry.
/// </summary>
public sealed class ResilientTeacher : ITeacher
{
    private readonly ITeacher _inner;
    private readonly TeacherPolicyOptions _options;
    private readonly SemaphoreSlim _gate;
    private readonly TimeProvider _time;
    private long _retries;
    private long _timeouts;

    public ResilientTeacher(ITeacher inner, TeacherPolicyOptions? options = null, TimeProvider? time = null)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _options = options ?? new TeacherPolicyOptions();
        _options.Validate();
        _gate = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        _time = time ?? TimeProvider.System;
    }

    public string ModelName => _inner.ModelName;

    public Uri? Endpoint => _inner.Endpoint;

    private string At => Endpoint is { } endpoint ? $" at {endpoint}" : "";

    /// <summary>Retries performed so far (all requests).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Attempts that ran past the request timeout.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    public async Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            TimeSpan? retryAfter;
            string failure;
            Exception error;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(_options.RequestTimeout);
                try
                {
                    return await _inner.CompleteAsync(request, timeout.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && IsTimeout(ex, timeout.IsCancellationRequested))
                {
                    Interlocked.Increment(ref _timeouts);
                    (failure, retryAfter, error) = ($"timed out after {_options.RequestTimeout.TotalSeconds:0.###} s", null, ex);
                }
                catch (ClientResultException ex) when (ex.Status != 0)
                {
                    if (!IsRetriable(ex.Status))
                        throw new RaftException($"teacher '{ModelName}'{At} returned HTTP {ex.Status}: {FirstLine(ex.Message)} (not retried: expected 2xx; check endpoint, model name and API key)", ex);
                    var headers = ex.GetRawResponse()?.Headers;
                    string? ra = null, raMs = null;
                    headers?.TryGetValue("Retry-After", out ra);
                    headers?.TryGetValue("retry-after-ms", out raMs);
                    (failure, retryAfter, error) = ($"HTTP {ex.Status}", ParseRetryAfter(ra, raMs, _time.GetUtcNow()), ex);
                }
                catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    if (ex.StatusCode is { } code && !IsRetriable((int)code))
                        throw new RaftException($"teacher '{ModelName}'{At} returned HTTP {(int)code}: {FirstLine(ex.Message)} (not retried)", ex);
                    (failure, retryAfter, error) = (ex.StatusCode is { } c ? $"HTTP {(int)c}" : $"connection failed: {FirstLine(ex.Message)}", null, ex);
                }
                catch (IOException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // A connection reset while a (streamed) reply was being read.
                    (failure, retryAfter, error) = ($"connection broken: {FirstLine(ex.Message)}", null, ex);
                }
                catch (MalformedReplyException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // HTTP 200 with a body that is no chat completion: the server misbehaved, so ask again like after a 5xx.
                    (failure, retryAfter, error) = ($"malformed reply: {ex.Message}", null, ex);
                }
                catch (ClientResultException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    // Status 0: the request never got a response (connection refused, reset).
                    (failure, retryAfter, error) = ($"connection failed: {FirstLine(ex.Message)}", null, ex);
                }
            }
            finally
            {
                _gate.Release();
            }

            if (attempt >= _options.MaxAttempts)
                throw new RaftException($"teacher '{ModelName}'{At} gave no reply in {attempt} attempt(s), last: {failure} (the run can be resumed; raise --max-attempts or --timeout if the server is just slow)", error);
            Interlocked.Increment(ref _retries);
            await Task.Delay(retryAfter ?? Backoff(attempt), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>min(max, initial·2^(attempt−1)) × U[0.5, 1]: exponential with jitter so concurrent retries spread out.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var baseMs = Math.Min(_options.MaxBackoff.TotalMilliseconds, _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1));
        return TimeSpan.FromMilliseconds(baseMs * (0.5 + 0.5 * Random.Shared.NextDouble()));
    }

    /// <summary>Reads Retry-After (delta-seconds or HTTP-date) or OpenAI's retry-after-ms; capped by MaxRetryAfter.</summary>
    internal TimeSpan? ParseRetryAfter(string? retryAfter, string? retryAfterMs, DateTimeOffset now)
    {
        TimeSpan? wait = null;
        if (double.TryParse(retryAfterMs, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            wait = TimeSpan.FromMilliseconds(ms);
        else if (!string.IsNullOrWhiteSpace(retryAfter))
        {
            var v = retryAfter.Trim();
            if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0)
                wait = TimeSpan.FromSeconds(s);
            else if (DateTimeOffset.TryParseExact(v, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
                wait = date > now ? date - now : TimeSpan.Zero;
        }
        return wait is { } w && w > _options.MaxRetryAfter ? _options.MaxRetryAfter : wait;
    }

    internal static bool IsRetriable(int status) =>
        status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.Conflict or (int)HttpStatusCode.TooManyRequests or >= 500;

    private static bool IsTimeout(Exception ex, bool timerFired) =>
        (ex is OperationCanceledException && timerFired) || ex is TimeoutException || ex.InnerException is TimeoutException;

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }
}
