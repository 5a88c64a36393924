// ResilientChatClient on a fake clock: which failures are retried, how far apart the retries are (exponential backoff with
// jitter, not a burst), the per-attempt timeout, streams retried only before their first update, and Retry-After parsing.
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using RagTune.Raft.Clients;

namespace RagTune.Raft.Tests.Clients;

public sealed class ResilientChatClientTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Fails with the scripted exceptions in order, then answers "ok"; records the fake time of every call.</summary>
    private sealed class FlakyClient(FakeTimeProvider clock, params Func<CancellationToken, Task>[] failures) : IChatClient
    {
        public readonly List<DateTimeOffset> Calls = [];

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            int n;
            lock (Calls)
            {
                Calls.Add(clock.GetUtcNow());
                n = Calls.Count;
            }
            if (n <= failures.Length)
                await failures[n - 1](cancellationToken);
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { FinishReason = ChatFinishReason.Stop };
        }

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            int n;
            lock (Calls)
            {
                Calls.Add(clock.GetUtcNow());
                n = Calls.Count;
            }
            yield return new ChatResponseUpdate(ChatRole.Assistant, "o");
            if (n <= failures.Length)
                await failures[n - 1](cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, "k") { FinishReason = ChatFinishReason.Stop };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", new Uri("http://localhost:1/v1"), "judge-m") : null;

        public void Dispose() { }
    }

    private static Func<CancellationToken, Task> Refused => _ =>
        throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (localhost:1)", new SocketException((int)SocketError.ConnectionRefused));

    private static Func<CancellationToken, Task> Status(HttpStatusCode code) => _ =>
        throw new HttpRequestException($"Response status code does not indicate success: {(int)code}.", null, code);

    private static Func<CancellationToken, Task> Hang => ct => Task.Delay(Timeout.Infinite, ct);

    /// <summary>Runs <paramref name="work"/> while moving the fake clock in 10 ms steps until it finishes.</summary>
    private static async Task<T> DriveAsync<T>(FakeTimeProvider clock, Task<T> work)
    {
        for (int i = 0; !work.IsCompleted && i < 200_000; i++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }
        return await work;
    }

    // Issue 16 item 5: `ragtune eval` spent its tries within ~10 ms on a refused connection. Retry n must wait
    // InitialBackoff·2^(n−1) scaled into [0.5, 1] (jitter), measured on the fake clock the client waits on.
    [Fact]
    public async Task Refused_connections_are_retried_with_exponential_backoff_and_jitter()
    {
        var clock = new FakeTimeProvider(Start);
        var inner = new FlakyClient(clock, Refused, Refused, Refused, Refused);
        var options = new ResilienceOptions { MaxAttempts = 6, InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(60) };
        using var client = inner.AsBuilder().UseResilience(options, clock).Build();
        var response = await DriveAsync(clock, client.GetResponseAsync("q", cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal("ok", response.Text);
        Assert.Equal(5, inner.Calls.Count);
        for (int n = 1; n <= 4; n++)
        {
            var gap = (inner.Calls[n] - inner.Calls[n - 1]).TotalMilliseconds;
            double full = 1000 * Math.Pow(2, n - 1);
            // The clock moves in 10 ms steps, and may step once more between a failure and the start of its wait.
            Assert.InRange(gap, 0.5 * full - 10, full + 30);
        }
        Assert.True(inner.Calls[^1] - inner.Calls[0] >= TimeSpan.FromSeconds(7.5 - 0.1), $"all tries within {inner.Calls[^1] - inner.Calls[0]}");
        Assert.Equal(4, client.GetService<ResilientChatClient>()!.Retries);
    }

    [Fact]
    public async Task Spent_attempts_name_the_model_endpoint_and_last_failure()
    {
        var clock = new FakeTimeProvider(Start);
        var inner = new FlakyClient(clock, Refused, Refused, Refused);
        using var client = inner.AsBuilder().UseResilience(new ResilienceOptions { MaxAttempts = 3 }, clock).Build();
        var e = await Assert.ThrowsAsync<RaftException>(() => DriveAsync(clock, client.GetResponseAsync("q", cancellationToken: TestContext.Current.CancellationToken)));
        Assert.Contains("model 'judge-m' at http://localhost:1/v1 gave no reply in 3 attempt(s)", e.Message);
        Assert.Contains("connection failed: Connection refused", e.Message);
        Assert.Equal(3, inner.Calls.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.TooManyRequests, true)]
    [InlineData(HttpStatusCode.RequestTimeout, true)]
    [InlineData(HttpStatusCode.BadGateway, true)]
    [InlineData(HttpStatusCode.ServiceUnavailable, true)]
    [InlineData(HttpStatusCode.BadRequest, false)]
    [InlineData(HttpStatusCode.Unauthorized, false)]
    [InlineData(HttpStatusCode.NotFound, false)]
    public async Task Only_transient_statuses_are_retried(HttpStatusCode status, bool transient)
    {
        var clock = new FakeTimeProvider(Start);
        var inner = new FlakyClient(clock, Status(status));
        using var client = inner.AsBuilder().UseResilience(new ResilienceOptions { MaxAttempts = 3 }, clock).Build();
        var work = DriveAsync(clock, client.GetResponseAsync("q", cancellationToken: TestContext.Current.CancellationToken));
        if (transient)
        {
            Assert.Equal("ok", (await work).Text);
            Assert.Equal(2, inner.Calls.Count);
        }
        else
        {
            var e = await Assert.ThrowsAsync<RaftException>(() => work);
            Assert.Contains($"returned HTTP {(int)status}", e.Message);
            Assert.Single(inner.Calls);
        }
        Assert.True(ResilientChatClient.IsTransient(500) && !ResilientChatClient.IsTransient(422));
    }

    [Fact]
    public async Task A_malformed_reply_is_retried_like_a_server_error()
    {
        var clock = new FakeTimeProvider(Start);
        var inner = new FlakyClient(clock, _ => throw new MalformedReplyException("the reply is not a chat completion"),
            _ => throw new System.Text.Json.JsonException("'g' is an invalid start of a value"));
        using var client = inner.AsBuilder().UseResilience(new ResilienceOptions(), clock).Build();
        Assert.Equal("ok", (await DriveAsync(clock, client.GetResponseAsync("q", cancellationToken: TestContext.Current.CancellationToken))).Text);
        Assert.Equal(3, inner.Calls.Count);
    }

    [Fact]
    public async Task An_attempt_past_the_request_timeout_is_cancelled_and_retried()
    {
        var clock = new FakeTimeProvider(Start);
        var inner = new FlakyClient(clock, Hang);
        using var client = inner.AsBuilder().UseResilience(new ResilienceOptions { RequestTimeout = TimeSpan.FromSeconds(30) }, clock).Build();
        Assert.Equal("ok", (await DriveAsync(clock, client.GetResponseAsync("q", cancellationToken: TestContext.Current.CancellationToken))).Text);
        Assert.Equal(2, inner.Calls.Count);
        Assert.InRange((inner.Calls[1] - inner.Calls[0]).TotalSeconds, 30.5, 31.1);
        Assert.Equal(1, client.GetService<ResilientChatClient>()!.Timeouts);
    }

    [Fact]
    public async Task A_stream_is_not_retried_once_text_has_reached_the_caller()
    {
        var clock = new FakeTimeProvider(Start);
        var inner = new FlakyClient(clock, Refused);
        using var client = inner.AsBuilder().UseResilience(new ResilienceOptions(), clock).Build();
        var received = new List<string>();
        var e = await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var u in client.GetStreamingResponseAsync("q", cancellationToken: TestContext.Current.CancellationToken))
                received.Add(u.Text);
        });
        Assert.Equal(["o"], received);
        Assert.Single(inner.Calls);
        Assert.Contains("refused", e.Message);
    }

    [Fact]
    public async Task A_stream_that_fails_before_its_first_update_is_retried()
    {
        var clock = new FakeTimeProvider(Start);
        var failing = new FailingStreamClient();
        using var client = failing.AsBuilder().UseResilience(new ResilienceOptions(), clock).Build();
        var response = await DriveAsync(clock, client.GetStreamingResponseAsync("q", cancellationToken: TestContext.Current.CancellationToken).ToChatResponseAsync(TestContext.Current.CancellationToken));
        Assert.Equal("ok", response.Text);
        Assert.Equal(2, failing.Calls);
    }

    private sealed class FailingStreamClient : IChatClient
    {
        public int Calls;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            if (Interlocked.Increment(ref Calls) == 1)
                throw new IOException("connection reset by peer");
            yield return new ChatResponseUpdate(ChatRole.Assistant, "ok") { FinishReason = ChatFinishReason.Stop };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    [Fact]
    public void Retry_after_accepts_seconds_http_dates_and_milliseconds()
    {
        using var t = new ResilientChatClient(new FlakyClient(new FakeTimeProvider()), new ResilienceOptions { MaxRetryAfter = TimeSpan.FromMinutes(2) });
        var now = Start;
        Assert.Equal(TimeSpan.FromSeconds(3), t.ParseRetryAfter("3", null, now));
        Assert.Equal(TimeSpan.FromSeconds(30), t.ParseRetryAfter("Thu, 01 Jan 2026 12:00:30 GMT", null, now));
        Assert.Equal(TimeSpan.Zero, t.ParseRetryAfter("Thu, 01 Jan 2026 11:00:00 GMT", null, now));
        Assert.Equal(TimeSpan.FromMilliseconds(250), t.ParseRetryAfter("3", "250", now));
        Assert.Equal(TimeSpan.FromMinutes(2), t.ParseRetryAfter("86400", null, now));
        Assert.Null(t.ParseRetryAfter("soon", null, now));
        Assert.Null(t.ParseRetryAfter(null, null, now));
    }

    [Fact]
    public void Backoff_is_exponential_with_jitter_and_capped()
    {
        using var t = new ResilientChatClient(new FlakyClient(new FakeTimeProvider()), new ResilienceOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(5) });
        for (var i = 0; i < 50; i++)
        {
            Assert.InRange(t.Backoff(1).TotalSeconds, 0.5, 1.0);
            Assert.InRange(t.Backoff(3).TotalSeconds, 2.0, 4.0);
            Assert.InRange(t.Backoff(10).TotalSeconds, 2.5, 5.0);
        }
        Assert.Throws<RaftException>(() => new ResilientChatClient(new FlakyClient(new FakeTimeProvider()), new ResilienceOptions { MaxAttempts = 0 }));
    }
}
