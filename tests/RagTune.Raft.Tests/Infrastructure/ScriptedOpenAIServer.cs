// An OpenAI-compatible /v1/chat/completions server on 127.0.0.1 (Kestrel, port 0) whose replies are scripted per request; records every request.
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RagTune.Raft.Tests.Infrastructure;

/// <summary>A chat request as the server received it.</summary>
public sealed record RecordedRequest(int Index, string Model, IReadOnlyList<(string Role, string Content)> Messages, bool Stream, bool IncludeUsage, DateTimeOffset At, string Body)
{
    public string System => Messages.FirstOrDefault(m => m.Role == "system").Content ?? "";

    public string User => Messages.LastOrDefault(m => m.Role == "user").Content ?? "";
}

/// <summary>What the server sends back for one request.</summary>
public sealed record ScriptedReply
{
    public int Status { get; init; } = 200;
    public string? Content { get; init; }
    public string? ReasoningContent { get; init; }
    public int PromptTokens { get; init; } = 100;
    public int CompletionTokens { get; init; } = 20;
    public TimeSpan Delay { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>Sent verbatim instead of a chat completion (a misbehaving server: garbage, a JSON error under 200, truncated JSON).</summary>
    public string? RawBody { get; init; }

    public string RawContentType { get; init; } = "application/json";

    public static ScriptedReply Raw(string body, string contentType = "application/json") => new() { RawBody = body, RawContentType = contentType };

    public static ScriptedReply Text(string content, int promptTokens = 100, int completionTokens = 20) =>
        new() { Content = content, PromptTokens = promptTokens, CompletionTokens = completionTokens };

    public static ScriptedReply Error(int status, string? retryAfter = null) => new()
    {
        Status = status,
        Headers = retryAfter is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["Retry-After"] = retryAfter },
    };
}

public sealed class ScriptedOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<RecordedRequest, ScriptedReply>> _queue = new();
    private readonly List<RecordedRequest> _requests = [];
    private int _count;
    private int _held;

    private ScriptedOpenAIServer(WebApplication app, Func<RecordedRequest, ScriptedReply> fallback)
    {
        _app = app;
        Fallback = fallback;
    }

    /// <summary>Used when the queue is empty.</summary>
    public Func<RecordedRequest, ScriptedReply> Fallback { get; set; }

    /// <summary>When it returns true for a request, the server never answers it (until the client goes away).</summary>
    public Func<RecordedRequest, bool>? Hold { get; set; }

    public int HeldCount => Volatile.Read(ref _held);

    public Uri BaseUrl { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
                return _requests.ToList();
        }
    }

    public void Enqueue(ScriptedReply reply) => _queue.Enqueue(_ => reply);

    public void Enqueue(Func<RecordedRequest, ScriptedReply> reply) => _queue.Enqueue(reply);

    public static async Task<ScriptedOpenAIServer> StartAsync(Func<RecordedRequest, ScriptedReply>? fallback = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ScriptedOpenAIServer(app, fallback ?? (r => ScriptedReply.Text(RaftResponder.Reply(r.System, r.User))));
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var body = await new StreamReader(ctx.Request.Body, Encoding.UTF8).ReadToEndAsync();
        var json = JsonNode.Parse(body)!;
        var messages = json["messages"]!.AsArray().Select(m => ((string)m!["role"]!, ContentOf(m!["content"]))).ToList();
        var request = new RecordedRequest(Interlocked.Increment(ref _count) - 1, (string?)json["model"] ?? "", messages,
            (bool?)json["stream"] ?? false, (bool?)json["stream_options"]?["include_usage"] ?? false, DateTimeOffset.UtcNow, body);
        lock (_requests)
            _requests.Add(request);
        if (Hold?.Invoke(request) == true)
        {
            Interlocked.Increment(ref _held);
            try
            {
                await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            return;
        }
        var reply = _queue.TryDequeue(out var next) ? next(request) : Fallback(request);
        if (reply.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(reply.Delay, ctx.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        foreach (var (k, v) in reply.Headers)
            ctx.Response.Headers[k] = v;
        ctx.Response.StatusCode = reply.Status;
        if (reply.RawBody is not null)
        {
            ctx.Response.ContentType = reply.RawContentType;
            await ctx.Response.WriteAsync(reply.RawBody);
            return;
        }
        if (reply.Status != 200)
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(new JsonObject { ["error"] = new JsonObject { ["message"] = $"scripted status {reply.Status}", ["type"] = "scripted", ["code"] = null } }.ToJsonString());
            return;
        }
        var usage = new JsonObject { ["prompt_tokens"] = reply.PromptTokens, ["completion_tokens"] = reply.CompletionTokens, ["total_tokens"] = reply.PromptTokens + reply.CompletionTokens };
        if (!request.Stream)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content };
            if (reply.ReasoningContent is not null)
                message["reasoning_content"] = reply.ReasoningContent;
            var doc = new JsonObject
            {
                ["id"] = $"chatcmpl-{request.Index}",
                ["object"] = "chat.completion",
                ["created"] = 1_700_000_000,
                ["model"] = request.Model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = "stop", ["logprobs"] = null }),
                ["usage"] = usage,
            };
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(doc.ToJsonString());
            return;
        }
        ctx.Response.ContentType = "text/event-stream";
        async Task Send(JsonObject choiceOrNull, JsonObject? withUsage = null)
        {
            var chunk = new JsonObject
            {
                ["id"] = $"chatcmpl-{request.Index}",
                ["object"] = "chat.completion.chunk",
                ["created"] = 1_700_000_000,
                ["model"] = request.Model,
                ["choices"] = choiceOrNull.Count == 0 ? new JsonArray() : new JsonArray(choiceOrNull),
            };
            if (withUsage is not null)
                chunk["usage"] = withUsage;
            await ctx.Response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n");
            await ctx.Response.Body.FlushAsync();
        }
        await Send(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["role"] = "assistant", ["content"] = "" }, ["finish_reason"] = null });
        var content = reply.Content ?? "";
        for (var i = 0; i < content.Length; i += 7)
            await Send(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject { ["content"] = content.Substring(i, Math.Min(7, content.Length - i)) }, ["finish_reason"] = null });
        await Send(new JsonObject { ["index"] = 0, ["delta"] = new JsonObject(), ["finish_reason"] = "stop" });
        if (request.IncludeUsage)
            await Send(new JsonObject(), usage);
        await ctx.Response.WriteAsync("data: [DONE]\n\n");
    }

    private static string ContentOf(JsonNode? content) => content switch
    {
        JsonValue v => (string?)v ?? "",
        JsonArray parts => string.Concat(parts.Select(p => (string?)p?["text"] ?? "")),
        _ => "",
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
