// The fields of an OpenAI chat-completions request that the server honours, read leniently (string or parts content,
// string or array stop) and validated strictly (limits, unsupported values → 400 naming the field).
using System.Text.Json;
using Microsoft.Extensions.AI;
using RagTune.Server.Models;

namespace RagTune.Server.Api;

public sealed record ChatCompletionRequest(string Model, IReadOnlyList<ChatMessage> Messages, ChatRequestOptions Options, bool Stream, bool IncludeUsage)
{
    public static ChatCompletionRequest Parse(JsonElement root, int maxPromptChars, int maxCompletionTokens)
    {
        if (root.ValueKind != JsonValueKind.Object) throw ApiException.BadRequest("the request body must be a JSON object");
        string model = OptionalString(root, "model") ?? throw ApiException.BadRequest("'model' is required", "model");
        if (!root.TryGetProperty("messages", out var msgs) || msgs.ValueKind != JsonValueKind.Array || msgs.GetArrayLength() == 0)
            throw ApiException.BadRequest("'messages' must be a non-empty array", "messages");
        var messages = new List<ChatMessage>();
        long chars = 0;
        int i = 0;
        foreach (var m in msgs.EnumerateArray())
        {
            string param = $"messages[{i++}]";
            string role = OptionalString(m, "role") ?? throw ApiException.BadRequest($"{param}.role is required", param + ".role");
            var chatRole = role switch
            {
                "system" or "developer" => ChatRole.System,
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                _ => throw ApiException.BadRequest($"{param}.role '{role}' is not supported; expected system, developer, user or assistant", param + ".role"),
            };
            string text = Content(m, param);
            chars += text.Length;
            messages.Add(new ChatMessage(chatRole, text));
        }
        if (chars > maxPromptChars)
            throw ApiException.BadRequest($"the messages hold {chars} characters; this server accepts at most {maxPromptChars}", "messages", "context_length_exceeded");

        if (OptionalInt(root, "n") is { } n && n != 1) throw ApiException.BadRequest($"'n' is {n}; this server returns one choice per request (n = 1)", "n");
        int? maxTokens = OptionalInt(root, "max_completion_tokens") ?? OptionalInt(root, "max_tokens");
        if (maxTokens is { } mt && (mt < 1 || mt > maxCompletionTokens))
            throw ApiException.BadRequest($"max_tokens is {mt}; expected 1..{maxCompletionTokens}", "max_tokens");
        float? temperature = OptionalFloat(root, "temperature");
        if (temperature is { } t && (t < 0 || t > 2)) throw ApiException.BadRequest($"temperature is {t}; expected 0..2", "temperature");
        float? topP = OptionalFloat(root, "top_p");
        if (topP is { } p && (p <= 0 || p > 1)) throw ApiException.BadRequest($"top_p is {p}; expected a value in (0, 1]", "top_p");
        long? seed = null;
        if (root.TryGetProperty("seed", out var s) && s.ValueKind != JsonValueKind.Null)
            seed = s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out long seedValue) ? seedValue : throw ApiException.BadRequest("'seed' must be an integer", "seed");

        var stop = new List<string>();
        if (root.TryGetProperty("stop", out var st))
        {
            if (st.ValueKind == JsonValueKind.String) stop.Add(st.GetString()!);
            else if (st.ValueKind == JsonValueKind.Array) stop.AddRange(st.EnumerateArray().Select(x => x.GetString() ?? ""));
            else if (st.ValueKind != JsonValueKind.Null) throw ApiException.BadRequest("'stop' must be a string or an array of strings", "stop");
            if (stop.Count > 4 || stop.Any(x => x.Length == 0)) throw ApiException.BadRequest("'stop' holds at most 4 non-empty strings", "stop");
        }
        bool stream = root.TryGetProperty("stream", out var sv) && sv.ValueKind == JsonValueKind.True;
        bool includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        return new ChatCompletionRequest(model, messages,
            new ChatRequestOptions { Temperature = temperature, TopP = topP, MaxTokens = maxTokens, Seed = seed, Stop = stop }, stream, includeUsage);
    }

    private static string Content(JsonElement message, string param)
    {
        if (!message.TryGetProperty("content", out var c) || c.ValueKind == JsonValueKind.Null) return "";
        if (c.ValueKind == JsonValueKind.String) return c.GetString()!;
        if (c.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest($"{param}.content must be a string or an array of parts", param + ".content");
        var sb = new System.Text.StringBuilder();
        foreach (var part in c.EnumerateArray())
        {
            string type = OptionalString(part, "type") ?? "";
            if (type != "text") throw ApiException.BadRequest($"{param}.content part type '{type}' is not supported; expected text", param + ".content");
            sb.Append(OptionalString(part, "text"));
        }
        return sb.ToString();
    }

    internal static string? OptionalString(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw ApiException.BadRequest($"'{name}' must be a string", name);
    }

    private static int? OptionalInt(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int x) ? x : throw ApiException.BadRequest($"'{name}' must be an integer", name);
    }

    private static float? OptionalFloat(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        return v.ValueKind == JsonValueKind.Number ? v.GetSingle() : throw ApiException.BadRequest($"'{name}' must be a number", name);
    }
}
