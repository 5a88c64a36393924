// The OpenAI-SDK teacher against the scripted server (JSON and SSE, usage, reasoning) and the retry policy (429 + Retry-After, 5xx, timeouts).
using System.Diagnostics;
using Microsoft.Extensions.AI;
using RagTune.Raft.Clients;
using RagTune.Raft.Teachers;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class TeacherTests
{
    private static readonly TeacherRequest Hello = new([new TeacherMessage(TeacherRole.System, "sys"), new TeacherMessage(TeacherRole.User, "hello")], 0.5f, 64);

    private static ChatClientTeacher Teacher(ScriptedOpenAIServer s, bool stream = false) =>
        OpenAITeacher.Create(new OpenAITeacherOptions { Endpoint = s.BaseUrl, ApiKey = "test-key", Model = "teacher-x", Stream = stream });

    private static ResilientChatClient Policy(ChatClientTeacher teacher) => teacher.Client.GetService<ResilientChatClient>()!;

    private static ChatClientTeacher Resilient(ScriptedOpenAIServer s, TimeSpan? timeout = null, int attempts = 4) =>
        OpenAITeacher.Create(new OpenAITeacherOptions { Endpoint = s.BaseUrl, ApiKey = "test-key", Model = "teacher-x" }, new ResilienceOptions
        {
            MaxConcurrency = 2,
            MaxAttempts = attempts,
            InitialBackoff = TimeSpan.FromMilliseconds(10),
            MaxBackoff = TimeSpan.FromMilliseconds(50),
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(10),
        });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reply_content_and_usage_come_through_the_sdk(bool stream)
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Enqueue(ScriptedReply.Text("The answer is 42.", promptTokens: 123, completionTokens: 45));
        var reply = await Teacher(server, stream).CompleteAsync(Hello, TestContext.Current.CancellationToken);
        Assert.Equal("The answer is 42.", reply.Content);
        Assert.Null(reply.Reasoning);
        Assert.Equal(new TeacherUsage(123, 45), reply.Usage);
        var req = Assert.Single(server.Requests);
        Assert.Equal("teacher-x", req.Model);
        Assert.Equal([("system", "sys"), ("user", "hello")], req.Messages);
        Assert.Equal(stream, req.Stream);
        Assert.Equal(stream, req.IncludeUsage);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Think_blocks_are_reasoning_not_answer(bool stream)
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Enqueue(ScriptedReply.Text("<think>Let me see: <ANSWER>: wrong</think>\nFinal text.\n<ANSWER>: right"));
        var reply = await Teacher(server, stream).CompleteAsync(Hello, TestContext.Current.CancellationToken);
        Assert.Equal("Final text.\n<ANSWER>: right", reply.Content);
        Assert.Equal("Let me see: <ANSWER>: wrong", reply.Reasoning);
    }

    [Fact]
    public async Task Reasoning_content_field_is_kept_separately()
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Enqueue(new ScriptedReply { Content = "<ANSWER>: 7", ReasoningContent = "3 + 4 = 7" });
        var reply = await Teacher(server).CompleteAsync(Hello, TestContext.Current.CancellationToken);
        Assert.Equal("<ANSWER>: 7", reply.Content);
        Assert.Equal("3 + 4 = 7", reply.Reasoning);
    }

    [Fact]
    public async Task Status_429_waits_for_retry_after_then_succeeds()
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Enqueue(ScriptedReply.Error(429, retryAfter: "1"));
        server.Enqueue(ScriptedReply.Text("ok"));
        var teacher = Resilient(server);
        var reply = await teacher.CompleteAsync(Hello, TestContext.Current.CancellationToken);
        Assert.Equal("ok", reply.Content);
        var r = server.Requests;
        Assert.Equal(2, r.Count);
        // The backoff is 10-50 ms, so a gap of about one second can only come from Retry-After.
        var gap = r[1].At - r[0].At;
        Assert.InRange(gap.TotalMilliseconds, 950, 5000);
        Assert.Equal(1, Policy(teacher).Retries);
    }

    [Fact]
    public async Task Server_errors_are_retried_with_backoff()
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Enqueue(ScriptedReply.Error(500));
        server.Enqueue(ScriptedReply.Error(503));
        server.Enqueue(ScriptedReply.Text("ok"));
        var teacher = Resilient(server);
        Assert.Equal("ok", (await teacher.CompleteAsync(Hello, TestContext.Current.CancellationToken)).Content);
        Assert.Equal(3, server.Requests.Count);
        Assert.Equal(2, Policy(teacher).Retries);
    }

    [Fact]
    public async Task A_slow_reply_times_out_and_is_retried()
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        var teacher = Resilient(server, timeout: TimeSpan.FromSeconds(1.5));
        // A first call warms the JIT and the connection (on a loaded machine a cold first call can itself run past 1.5 s and
        // be retried), so that what is measured next is the scripted delay alone.
        await teacher.CompleteAsync(Hello, TestContext.Current.CancellationToken);
        var (timeoutsBefore, requestsBefore) = (Policy(teacher).Timeouts, server.Requests.Count);
        server.Enqueue(ScriptedReply.Text("too late") with { Delay = TimeSpan.FromSeconds(5) });
        server.Enqueue(ScriptedReply.Text("in time"));
        var clock = Stopwatch.StartNew();
        var reply = await teacher.CompleteAsync(Hello, TestContext.Current.CancellationToken);
        Assert.Equal("in time", reply.Content);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4.5), $"took {clock.Elapsed}");
        Assert.Equal(timeoutsBefore + 1, Policy(teacher).Timeouts);
        Assert.Equal(requestsBefore + 2, server.Requests.Count);
    }

    [Fact]
    public async Task Unauthorized_fails_at_once_with_a_clear_error()
    {
        await using var server = await ScriptedOpenAIServer.StartAsync();
        server.Enqueue(ScriptedReply.Error(401));
        var ex = await Assert.ThrowsAsync<RaftException>(() => Resilient(server).CompleteAsync(Hello, TestContext.Current.CancellationToken));
        Assert.Contains("HTTP 401", ex.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Exhausted_retries_raise_raft_exception()
    {
        await using var server = await ScriptedOpenAIServer.StartAsync(_ => ScriptedReply.Error(502));
        var ex = await Assert.ThrowsAsync<RaftException>(() => Resilient(server, attempts: 3).CompleteAsync(Hello, TestContext.Current.CancellationToken));
        Assert.Contains("no reply in 3 attempt(s)", ex.Message);
        Assert.Contains("HTTP 502", ex.Message);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task Concurrency_is_bounded()
    {
        await using var server = await ScriptedOpenAIServer.StartAsync(_ => ScriptedReply.Text("ok") with { Delay = TimeSpan.FromMilliseconds(150) });
        var teacher = Resilient(server); // MaxConcurrency = 2
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => teacher.CompleteAsync(Hello, TestContext.Current.CancellationToken)));
        // 6 requests, 2 at a time, 150 ms each: at least 3 rounds.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(430), $"took {clock.Elapsed}");
        var times = server.Requests.Select(r => r.At).OrderBy(t => t).ToList();
        Assert.True(times[2] - times[0] >= TimeSpan.FromMilliseconds(120), "a third request started before a slot was free");
    }

    [Fact]
    public void Api_key_option_wins_and_local_endpoints_get_a_placeholder()
    {
        Assert.Equal("k", new OpenAITeacherOptions { ApiKey = "k" }.ResolveApiKey());
        var env = OpenAITeacherOptions.ApiKeyVariables.Select(Environment.GetEnvironmentVariable).FirstOrDefault(v => !string.IsNullOrEmpty(v));
        Assert.Equal(env ?? "unused", new OpenAITeacherOptions { Endpoint = new Uri("http://localhost:11434/v1") }.ResolveApiKey());
    }
}
