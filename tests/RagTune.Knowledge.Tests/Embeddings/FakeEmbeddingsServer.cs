// A Kestrel server on 127.0.0.1 (port 0) speaking OpenAI's POST /v1/embeddings, for testing the SDK adapter end to end.
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RagTune.Knowledge.Tests.Embeddings;

internal sealed class FakeEmbeddingsServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeEmbeddingsServer(WebApplication app) => _app = app;

    /// <summary>Every request: the Authorization header and the parsed JSON body.</summary>
    public List<(string? Authorization, JsonObject Body)> Requests { get; } = [];

    /// <summary>When true, answers float arrays even if the client asked for base64 (as some local servers do).</summary>
    public bool IgnoreEncodingFormat { get; set; }

    /// <summary>When set, every request fails with this HTTP status and an OpenAI-style error body.</summary>
    public int? FailWith { get; set; }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>When it returns true for a request's inputs, the server never answers it (until the client goes away).</summary>
    public Func<IReadOnlyList<string>, bool>? Hold { get; set; }

    private int _held;

    /// <summary>Requests held so far.</summary>
    public int HeldCount => Volatile.Read(ref _held);

    public static async Task<FakeEmbeddingsServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeEmbeddingsServer(app);
        app.MapPost("/v1/embeddings", server.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    /// <summary>The vector the server returns for a text: deterministic, so tests can compute what to expect.</summary>
    public static float[] VectorFor(string text, int dimensions)
    {
        var v = new float[dimensions];
        for (int d = 0; d < dimensions; d++) v[d] = (text.Length * 31 + d * 7 + (text.Length > 0 ? text[0] : 0)) % 101 / 100f - 0.5f;
        return v;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = (JsonObject)(await JsonNode.ParseAsync(context.Request.Body))!;
        lock (Requests) Requests.Add((context.Request.Headers.Authorization.FirstOrDefault(), body));
        if (FailWith is int status)
        {
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "model 'nope' not found", type = "invalid_request_error", code = "model_not_found" } });
            return;
        }
        var inputs = body["input"] is JsonArray array ? array.Select(n => n!.GetValue<string>()).ToList() : [body["input"]!.GetValue<string>()];
        if (Hold?.Invoke(inputs) == true)
        {
            Interlocked.Increment(ref _held);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
            }
            return;
        }
        int dims = body["dimensions"]?.GetValue<int>() ?? 8;
        bool base64 = !IgnoreEncodingFormat && body["encoding_format"]?.GetValue<string>() == "base64";
        var data = new JsonArray();
        // Items go out in reverse order: the protocol's "index" field, not the array position, says which input each is.
        for (int i = inputs.Count - 1; i >= 0; i--)
        {
            var v = VectorFor(inputs[i], dims);
            JsonNode embedding = base64
                ? JsonValue.Create(Convert.ToBase64String(MemoryMarshal.AsBytes(v.AsSpan())))
                : new JsonArray(v.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }
        int tokens = inputs.Sum(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        var response = new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = body["model"]!.GetValue<string>(),
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(response.ToJsonString(new JsonSerializerOptions()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
