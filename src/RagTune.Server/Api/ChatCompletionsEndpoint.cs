// POST /v1/chat/completions: one JSON completion, or OpenAI's SSE chunks ending in `data: [DONE]`. RAG extensions are
// top-level fields: `passages` (first chunk / the response), `citations` (last content chunk / the response), `route`.
using RagTune.Knowledge.Rag;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using RagTune.Server.Configuration;
using RagTune.Server.Models;

namespace RagTune.Server.Api;

public static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, ModelRegistry registry, ServerOptions options, ServerStats stats)
    {
        var ct = http.RequestAborted;
        using var body = await ReadJsonAsync(http, ct).ConfigureAwait(false);
        var request = ChatCompletionRequest.Parse(body.RootElement, options.MaxPromptChars, options.MaxCompletionTokens);
        var pipeline = registry.GetChat(request.Model);

        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        stats.Started();
        await using var events = pipeline.RunAsync(request.Messages, request.Options, ct).GetAsyncEnumerator(ct);
        try
        {
            // Admission and retrieval happen here, before any byte is written, so 429/400 are ordinary error responses.
            bool any = await events.MoveNextAsync().ConfigureAwait(false);
            if (request.Stream) await StreamAsync(http, events, any, request, id, created, ct).ConfigureAwait(false);
            else await CompleteAsync(http, events, any, request, id, created, ct).ConfigureAwait(false);
            stats.Completed();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stats.Cancelled();
            throw;
        }
        finally
        {
            stats.Ended();
        }
    }

    internal static async Task<JsonDocument> ReadJsonAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
            throw ApiException.BadRequest($"Content-Type is '{http.Request.ContentType}'; expected application/json");
        // JsonDocument checks UTF-8 only when a string is read, so check the whole body first (Kestrel bounds its size).
        var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        var bytes = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (!System.Text.Unicode.Utf8.IsValid(bytes.Span))
        {
            int at = FirstInvalidUtf8(bytes.Span);
            throw ApiException.BadRequest($"the request body is not valid UTF-8 (byte 0x{bytes.Span[at]:X2} at offset {at}); expected UTF-8 encoded JSON");
        }
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length && System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out int length) == System.Buffers.OperationStatus.Done)
            offset += length;
        return offset;
    }

    private static async Task CompleteAsync(HttpContext http, IAsyncEnumerator<PipelineEvent> events, bool any, ChatCompletionRequest request,
        string id, long created, CancellationToken ct)
    {
        var text = new StringBuilder();
        IReadOnlyList<RetrievedPassage>? passages = null;
        IReadOnlyList<Citation>? citations = null;
        string? route = null, finish = null;
        int promptTokens = 0, completionTokens = 0;
        while (any)
        {
            var e = events.Current;
            text.Append(e.Text);
            passages ??= e.Passages;
            route ??= e.Route;
            if (e.Citations is not null) citations = e.Citations;
            if (e.FinishReason is not null) (finish, promptTokens, completionTokens) = (e.FinishReason, e.PromptTokens, e.CompletionTokens);
            any = await events.MoveNextAsync().ConfigureAwait(false);
        }
        http.Response.ContentType = "application/json; charset=utf-8";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, Json.Writer))
        {
            w.WriteStartObject();
            Header(w, id, "chat.completion", created, request.Model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            w.WriteStartObject("message");
            w.WriteString("role", "assistant");
            w.WriteString("content", text.ToString());
            w.WriteNull("refusal");
            w.WriteEndObject();
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", finish ?? "stop");
            w.WriteEndObject();
            w.WriteEndArray();
            Usage(w, promptTokens, completionTokens);
            Extensions(w, passages, citations, route);
            w.WriteEndObject();
        }
        await http.Response.Body.WriteAsync(buffer.ToArray(), ct).ConfigureAwait(false);
    }

    private static async Task StreamAsync(HttpContext http, IAsyncEnumerator<PipelineEvent> events, bool any, ChatCompletionRequest request,
        string id, long created, CancellationToken ct)
    {
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        // The first chunk carries the role (and the RAG passages / route), as OpenAI's does.
        var first = any ? events.Current : null;
        await ChunkAsync(http, id, created, request.Model, w => Delta(w, role: true, content: ""), null,
            w => Extensions(w, first?.Passages, null, first?.Route), ct).ConfigureAwait(false);
        int promptTokens = 0, completionTokens = 0;
        while (any)
        {
            var e = events.Current;
            if (e.Text is { Length: > 0 } t)
                await ChunkAsync(http, id, created, request.Model, w => Delta(w, false, t), null, null, ct).ConfigureAwait(false);
            if (e.FinishReason is { } finish)
            {
                (promptTokens, completionTokens) = (e.PromptTokens, e.CompletionTokens);
                await ChunkAsync(http, id, created, request.Model, w => Delta(w, false, null), finish,
                    w => Extensions(w, null, e.Citations, null), ct).ConfigureAwait(false);
            }
            any = await events.MoveNextAsync().ConfigureAwait(false);
        }
        if (request.IncludeUsage)
            await WriteSseAsync(http, w =>
            {
                w.WriteStartObject();
                Header(w, id, "chat.completion.chunk", created, request.Model);
                w.WriteStartArray("choices");
                w.WriteEndArray();
                Usage(w, promptTokens, completionTokens);
                w.WriteEndObject();
            }, ct).ConfigureAwait(false);
        await http.Response.Body.WriteAsync("data: [DONE]\n\n"u8.ToArray(), ct).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static Task ChunkAsync(HttpContext http, string id, long created, string model, Action<Utf8JsonWriter> delta, string? finish,
        Action<Utf8JsonWriter>? extra, CancellationToken ct) =>
        WriteSseAsync(http, w =>
        {
            w.WriteStartObject();
            Header(w, id, "chat.completion.chunk", created, model);
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            delta(w);
            w.WriteNull("logprobs");
            if (finish is null) w.WriteNull("finish_reason");
            else w.WriteString("finish_reason", finish);
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteNull("usage");
            extra?.Invoke(w);
            w.WriteEndObject();
        }, ct);

    private static async Task WriteSseAsync(HttpContext http, Action<Utf8JsonWriter> write, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        buffer.Write("data: "u8);
        using (var w = new Utf8JsonWriter(buffer, Json.Writer)) write(w);
        buffer.Write("\n\n"u8);
        await http.Response.Body.WriteAsync(buffer.ToArray(), ct).ConfigureAwait(false);
        await http.Response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static void Delta(Utf8JsonWriter w, bool role, string? content)
    {
        w.WriteStartObject("delta");
        if (role) w.WriteString("role", "assistant");
        if (content is not null) w.WriteString("content", content);
        w.WriteEndObject();
    }

    private static void Header(Utf8JsonWriter w, string id, string kind, long created, string model)
    {
        w.WriteString("id", id);
        w.WriteString("object", kind);
        w.WriteNumber("created", created);
        w.WriteString("model", model);
        w.WriteNull("system_fingerprint");
    }

    private static void Usage(Utf8JsonWriter w, int prompt, int completion)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("prompt_tokens", prompt);
        w.WriteNumber("completion_tokens", completion);
        w.WriteNumber("total_tokens", prompt + completion);
        w.WriteEndObject();
    }

    private static void Extensions(Utf8JsonWriter w, IReadOnlyList<RetrievedPassage>? passages, IReadOnlyList<Citation>? citations, string? route)
    {
        if (route is not null) w.WriteString("route", route);
        if (passages is not null)
        {
            w.WritePropertyName("passages");
            JsonSerializer.Serialize(w, passages);
        }
        if (citations is not null)
        {
            w.WritePropertyName("citations");
            JsonSerializer.Serialize(w, citations);
        }
    }
}
