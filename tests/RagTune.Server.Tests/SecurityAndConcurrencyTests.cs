// API keys, the loopback rule, CORS when configured, the bounded queue (429 + Retry-After) and cancellation of a
// generation when its client disconnects.
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class SecurityAndConcurrencyTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static ServerOptions ScriptedOnly(Action<ServerOptions>? change = null)
    {
        var options = new ServerOptions { Models = [new ModelEntry { Name = "m", Kind = "chat" }] };
        change?.Invoke(options);
        return options;
    }

    private static ServerServices With(ScriptedChatClient client)
    {
        var services = new ServerServices();
        services.ChatClients["m"] = client;
        return services;
    }

    private static StringContent Body(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    [Fact]
    public async Task Api_keys_are_required_when_configured()
    {
        await using var server = await TestServer.StartAsync(ScriptedOnly(o => o.ApiKeys = ["k-123"]), With(new ScriptedChatClient(_ => "ok")));
        var options = new OpenAIClientOptions { Endpoint = server.ApiBase };
        var wrong = await Assert.ThrowsAsync<ClientResultException>(() =>
            new ChatClient("m", new ApiKeyCredential("k-999"), options).CompleteChatAsync([ChatMessage.CreateUserMessage("hi")], null, Ct));
        Assert.Equal(401, wrong.Status);
        Assert.Contains("invalid_api_key", wrong.GetRawResponse()!.Content.ToString());

        var ok = await new ChatClient("m", new ApiKeyCredential("k-123"), options).CompleteChatAsync([ChatMessage.CreateUserMessage("hi")], null, Ct);
        Assert.Equal("ok", ok.Value.Content[0].Text);

        using var http = server.Http();
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/models", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/info", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/", Ct)).StatusCode);  // the page itself holds no data
    }

    [Fact]
    public async Task Non_loopback_address_without_keys_is_refused_unless_insecure()
    {
        var e = await Assert.ThrowsAsync<ServerException>(() => RagTuneServer.BuildAsync(ScriptedOnly(), ["http://0.0.0.0:0"], With(new ScriptedChatClient(_ => ""))));
        Assert.Contains("no API key is configured", e.Message);
        Assert.True(RagTuneServer.IsLoopback("http://127.0.0.1:8000"));
        Assert.True(RagTuneServer.IsLoopback("http://[::1]:8000"));
        Assert.True(RagTuneServer.IsLoopback("http://localhost:8000"));
        Assert.False(RagTuneServer.IsLoopback("http://*:8000"));
        Assert.False(RagTuneServer.IsLoopback("http://192.168.1.2:8000"));
        await using var app = await RagTuneServer.BuildAsync(ScriptedOnly(o => o.Insecure = true), ["http://0.0.0.0:0"], With(new ScriptedChatClient(_ => "")));
        await using var keyed = await RagTuneServer.BuildAsync(ScriptedOnly(o => o.ApiKeys = ["k"]), ["http://0.0.0.0:0"], With(new ScriptedChatClient(_ => "")));
    }

    [Fact]
    public async Task Cors_allows_only_configured_origins()
    {
        await using var server = await TestServer.StartAsync(ScriptedOnly(o => o.CorsOrigins = ["http://app.example"]), With(new ScriptedChatClient(_ => "")));
        using var http = server.Http();
        foreach (var (origin, allowed) in new[] { ("http://app.example", true), ("http://evil.example", false) })
        {
            var request = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            var response = await http.SendAsync(request, Ct);
            Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var v) && v.Single() == origin);
        }
    }

    [Fact]
    public async Task Full_queue_answers_429_with_retry_after_and_recovers()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new ScriptedChatClient(_ => "done") { Gate = gate };
        await using var server = await TestServer.StartAsync(ScriptedOnly(o => { o.MaxConcurrentPerModel = 1; o.MaxQueuePerModel = 1; o.RetryAfterSeconds = 3; }), With(client));
        using var http = server.Http();
        var request = new { model = "m", messages = new[] { new { role = "user", content = "hi" } } };
        var running = http.PostAsync("/v1/chat/completions", Body(request), Ct);
        await client.Started.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var queued = http.PostAsync("/v1/chat/completions", Body(request), Ct);
        var registry = (ModelRegistry)server.App.Services.GetService(typeof(ModelRegistry))!;
        var gateOfM = ((ModelPipeline)registry.GetChat("m")).Gate;
        while (gateOfM.Admitted < 2) await Task.Delay(10, Ct);

        var refused = await http.PostAsync("/v1/chat/completions", Body(request), Ct);
        Assert.Equal((HttpStatusCode)429, refused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), refused.Headers.RetryAfter!.Delta);
        var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());

        gate.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await running).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await queued).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/v1/chat/completions", Body(request), Ct)).StatusCode);
        Assert.Equal(0, gateOfM.Admitted);
    }

    [Fact]
    public async Task A_routed_request_waits_in_its_targets_queue()
    {
        var client = new ScriptedChatClient(_ => "done");
        await using var server = await TestServer.StartAsync(ScriptedOnly(o =>
        {
            o.MaxConcurrentPerModel = 1;
            o.MaxQueuePerModel = 0;
            o.Routers = [new RouterEntry { Name = "r", Default = "m" }];
        }), With(client));
        using var http = server.Http();
        var request = new { model = "r", messages = new[] { new { role = "user", content = "hi" } } };
        var gateOfM = ((ModelPipeline)((ModelRegistry)server.App.Services.GetService(typeof(ModelRegistry))!).GetChat("m")).Gate;
        using (await gateOfM.EnterAsync(Ct))
            Assert.Equal((HttpStatusCode)429, (await http.PostAsync("/v1/chat/completions", Body(request), Ct)).StatusCode);
        var answered = await http.PostAsync("/v1/chat/completions", Body(request), Ct);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.Equal("m", JsonDocument.Parse(await answered.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("route").GetString());
        Assert.Equal(0, gateOfM.Admitted);
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_generation_and_frees_the_slot()
    {
        var client = new ScriptedChatClient(_ => "") { Endless = true, PieceDelay = TimeSpan.FromMilliseconds(20) };
        await using var server = await TestServer.StartAsync(ScriptedOnly(o => { o.MaxConcurrentPerModel = 1; o.MaxQueuePerModel = 0; }), With(client));
        using (var http = server.Http())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body(new { model = "m", stream = true, messages = new[] { new { role = "user", content = "go" } } }) };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            using var stream = await response.Content.ReadAsStreamAsync(Ct);
            var buffer = new byte[256];
            int read = await stream.ReadAsync(buffer, Ct);
            Assert.True(read > 0);
        }   // disposing the client aborts the connection
        Assert.True(await client.SawCancellation.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct));
        while (server.Stats.Active > 0) await Task.Delay(10, Ct);
        Assert.Equal(1, server.Stats.CancelledCount);
        // The slot is free again: with max_concurrent 1 and no queue, a new request is admitted, not refused.
        var gateOfM = ((ModelPipeline)((ModelRegistry)server.App.Services.GetService(typeof(ModelRegistry))!).GetChat("m")).Gate;
        Assert.Equal(0, gateOfM.Admitted);
    }

    [Fact]
    public async Task Client_disconnect_stops_a_real_model_generation()
    {
        // The real tiny model, paced at 20 ms per streamed piece: without pacing it can finish all 2000 tokens before the
        // server sees the disconnect on an idle machine, and the test would race.
        var services = new ServerServices();
        services.ChatClients["tiny"] = new PacedChatClient(RagTune.Engine.AI.LocalChatClient.Load(TestServer.ChatModelPath), TimeSpan.FromMilliseconds(20));
        await using var server = await TestServer.StartAsync(TestServer.DefaultOptions(null), services);
        using (var http = server.Http())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = Body(new { model = "tiny", stream = true, max_tokens = 2000, messages = new[] { new { role = "user", content = "go on forever" } } }),
            };
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Ct);
            using var stream = await response.Content.ReadAsStreamAsync(Ct);
            var buffer = new byte[1024];
            int total = 0;
            while (total < 1500) total += await stream.ReadAsync(buffer, Ct);  // a few decoded tokens have arrived
        }
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (server.Stats.Active > 0 && waited.Elapsed < TimeSpan.FromSeconds(20)) await Task.Delay(10, Ct);
        Assert.Equal(0, server.Stats.Active);
        Assert.Equal(1, server.Stats.CancelledCount);
        Assert.Equal(0, server.Stats.CompletedCount);
    }

    /// <summary>Delays each streamed update of the inner client, so a generation outlasts the client's disconnect.</summary>
    private sealed class PacedChatClient(Microsoft.Extensions.AI.IChatClient inner, TimeSpan delay) : Microsoft.Extensions.AI.DelegatingChatClient(inner)
    {
        public override async IAsyncEnumerable<Microsoft.Extensions.AI.ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages, Microsoft.Extensions.AI.ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
