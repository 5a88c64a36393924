// Bounded concurrency, retries with exponential backoff + jitter, Retry-After and a per-attempt timeout for any IChatClient:
// the one resilience policy of the teacher, the evaluated systems and the judge (ChatClientBuilder.UseResilience).
using System.ClientModel;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace RagTune.Raft.Clients;

/// <summary>
/// Transient, and retried: a refused or broken connection, HTTP 408/409/429/5xx, an attempt past
/// <see cref="ResilienceOptions.RequestTimeout"/>, and a malformed reply (<see cref="MalformedReplyException"/>, invalid JSON).
/// Other HTTP errors (400, 401, 404…) fail at once with a <see cref="RaftException"/> naming model, endpoint and status;
/// so do transient failures once <see cref="ResilienceOptions.MaxAttempts"/> are spent. A concurrency slot is held only
/// while a request is on the wire, not while waiting to retry. A stream is retried only before its first update.
/// </summary>
public sealed class ResilientChatClient : DelegatingChatClient
{
    private readonly ResilienceOptions _options;
    private readonly SemaphoreSlim _gate;
    private readonly TimeProvider _time;
    private long _retries;
    private long _timeouts;

    public ResilientChatClient(IChatClient innerClient, ResilienceOptions? options = null, TimeProvider? timeProvider = null)
        : base(innerClient)
    {
        _options = options ?? new ResilienceOptions();
        _options.Validate();
        _gate = new SemaphoreSlim(_options.MaxConcurrency, _options.MaxConcurrency);
        _time = timeProvider ?? TimeProvider.System;
    }

    public ResilienceOptions Options => _options;

    /// <summary>Retries performed so far (all requests).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Attempts that ran past the request timeout.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();
        for (int attempt = 1; ; attempt++)
        {
            Failure failure;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var timer = new CancellationTokenSource(_options.RequestTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                try
                {
                    return await base.GetResponseAsync(list, options, linked.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = Classify(ex, timer.IsCancellationRequested, options);
                }
            }
            finally
            {
                _gate.Release();
            }
            await WaitToRetryAsync(failure, attempt, options, cancellationToken).ConfigureAwait(false);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyCollection<ChatMessage> ?? messages.ToList();
        for (int attempt = 1; ; attempt++)
        {
            Failure? failure = null;
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var timer = new CancellationTokenSource(_options.RequestTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
                await using var updates = base.GetStreamingResponseAsync(list, options, linked.Token).GetAsyncEnumerator(linked.Token);
                bool started = false;
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await updates.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (Exception ex) when (!started && !cancellationToken.IsCancellationRequested)
                    {
                        // Nothing has reached the caller yet, so the whole request can be made again.
                        failure = Classify(ex, timer.IsCancellationRequested, options);
                        break;
                    }
                    catch (OperationCanceledException ex) when (started && timer.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref _timeouts);
                        throw new RaftException($"{Describe(options)} stopped streaming: the reply ran past {Seconds(_options.RequestTimeout)} (not retried once text has been returned; raise the timeout if the server is just slow)", ex);
                    }
                    if (!more)
                        break;
                    started = true;
                    yield return updates.Current;
                }
            }
            finally
            {
                _gate.Release();
            }
            if (failure is null)
                yield break;
            await WaitToRetryAsync(failure, attempt, options, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed record Failure(string Description, TimeSpan? RetryAfter, Exception Error);

    private async Task WaitToRetryAsync(Failure failure, int attempt, ChatOptions? options, CancellationToken cancellationToken)
    {
        if (attempt >= _options.MaxAttempts)
            throw new RaftException($"{Describe(options)} gave no reply in {attempt} attempt(s), last: {failure.Description} (raise the attempts or the timeout if the server is just slow)", failure.Error);
        Interlocked.Increment(ref _retries);
        await Task.Delay(failure.RetryAfter ?? Backoff(attempt), _time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A transient failure with its Retry-After, or a <see cref="RaftException"/> for one that retrying cannot fix.</summary>
    private Failure Classify(Exception ex, bool timerFired, ChatOptions? options)
    {
        switch (ex)
        {
            case OperationCanceledException or TimeoutException when timerFired || ex is TimeoutException || ex.InnerException is TimeoutException:
                Interlocked.Increment(ref _timeouts);
                return new Failure($"timed out after {Seconds(_options.RequestTimeout)}", null, ex);
            case ClientResultException { Status: not 0 } e when !IsTransient(e.Status):
                throw new RaftException($"{Describe(options)} returned HTTP {e.Status}: {FirstLine(e.Message)} (not retried: expected 2xx; check the endpoint, model name and API key)", e);
            case ClientResultException { Status: not 0 } e:
                var headers = e.GetRawResponse()?.Headers;
                string? retryAfter = null, retryAfterMs = null;
                headers?.TryGetValue("Retry-After", out retryAfter);
                headers?.TryGetValue("retry-after-ms", out retryAfterMs);
                return new Failure($"HTTP {e.Status}", ParseRetryAfter(retryAfter, retryAfterMs, _time.GetUtcNow()), e);
            case ClientResultException e:
                // Status 0: no response at all (connection refused or reset).
                return new Failure($"connection failed: {FirstLine(e.Message)}", null, e);
            case HttpRequestException { StatusCode: { } code } e when !IsTransient((int)code):
                throw new RaftException($"{Describe(options)} returned HTTP {(int)code}: {FirstLine(e.Message)} (not retried: expected 2xx)", e);
            case HttpRequestException e:
                return new Failure(e.StatusCode is { } c ? $"HTTP {(int)c}" : $"connection failed: {FirstLine(e.Message)}", null, e);
            case IOException e:
                // A connection reset while a (streamed) reply was being read.
                return new Failure($"connection broken: {FirstLine(e.Message)}", null, e);
            case MalformedReplyException or JsonException:
                return new Failure($"malformed reply: {FirstLine(ex.Message)}", null, ex);
            default:
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex);
                throw ex;
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

    /// <summary>408, 409, 429 and 5xx are worth another try; other statuses are the caller's mistake.</summary>
    public static bool IsTransient(int status) =>
        status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.Conflict or (int)HttpStatusCode.TooManyRequests or >= 500;

    private string Describe(ChatOptions? options)
    {
        var metadata = GetService(typeof(ChatClientMetadata)) as ChatClientMetadata;
        var model = options?.ModelId ?? metadata?.DefaultModelId ?? "(default)";
        return metadata?.ProviderUri is { } uri ? $"model '{model}' at {uri}" : $"model '{model}'";
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _gate.Dispose();
        base.Dispose(disposing);
    }
}
