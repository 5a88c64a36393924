// Typed access to JSON fields with errors that name the file, the field path, what was found and what was expected.
using System.Text.Json;

namespace RagTune.Engine.Tokenizers;

internal readonly struct JsonFields(string file)
{
    public string File => file;

    public JsonDocument Parse()
    {
        if (!System.IO.File.Exists(file)) throw new EngineException($"{file}: file not found.");
        try
        {
            using var stream = System.IO.File.OpenRead(file);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = true, MaxDepth = 256 });
        }
        catch (JsonException e)
        {
            throw new EngineException($"{file}: not valid JSON ({e.Message}).", e);
        }
    }

    public EngineException Error(string field, string found, string expected) =>
        new($"{file}: field '{field}' is {found}, expected {expected}.");

    public static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(e.GetString()!)}\"",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {e.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => $"an array of {e.GetArrayLength()}",
        JsonValueKind.Object => "an object",
        _ => "missing",
    };

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";

    public JsonElement Object(JsonElement parent, string name, string path)
    {
        var value = Optional(parent, name);
        if (value is not { ValueKind: JsonValueKind.Object } v)
            throw Error(path, value is { } f ? Describe(f) : "missing", "an object");
        return v;
    }

    public JsonElement Array(JsonElement parent, string name, string path)
    {
        var value = Optional(parent, name);
        if (value is not { ValueKind: JsonValueKind.Array } v)
            throw Error(path, value is { } f ? Describe(f) : "missing", "an array");
        return v;
    }

    /// <summary>The property, or null when absent or JSON null.</summary>
    public static JsonElement? Optional(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string String(JsonElement parent, string name, string path) =>
        OptionalString(parent, name, path) ?? throw Error(path, "missing", "a string");

    public string? OptionalString(JsonElement parent, string name, string path)
    {
        var value = Optional(parent, name);
        if (value is null) return null;
        if (value.Value.ValueKind != JsonValueKind.String) throw Error(path, Describe(value.Value), "a string");
        return value.Value.GetString();
    }

    public bool Bool(JsonElement parent, string name, string path, bool fallback)
    {
        var value = Optional(parent, name);
        if (value is null) return fallback;
        return value.Value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(path, Describe(value.Value), "true or false"),
        };
    }

    public int Int(JsonElement parent, string name, string path) =>
        OptionalInt(parent, name, path) ?? throw Error(path, "missing", "an integer");

    public int? OptionalInt(JsonElement parent, string name, string path)
    {
        var value = Optional(parent, name);
        if (value is null) return null;
        if (value.Value.ValueKind != JsonValueKind.Number || !value.Value.TryGetInt32(out int i))
            throw Error(path, Describe(value.Value), "an integer");
        return i;
    }

    /// <summary>A token given either as a string or as an AddedToken object {"content": …} (tokenizer_config.json style).</summary>
    public string? TokenContent(JsonElement parent, string name, string path)
    {
        var value = Optional(parent, name);
        if (value is null) return null;
        return value.Value.ValueKind switch
        {
            JsonValueKind.String => value.Value.GetString(),
            JsonValueKind.Object => String(value.Value, "content", path + ".content"),
            _ => throw Error(path, Describe(value.Value), "a string or an object with \"content\""),
        };
    }

    /// <summary>An added-token description: {"content", "special", "lstrip", "rstrip", "single_word", "normalized"}.</summary>
    public AddedToken AddedToken(JsonElement e, int id, string path) => new(
        id,
        String(e, "content", path + ".content"),
        Bool(e, "special", path + ".special", false),
        Bool(e, "lstrip", path + ".lstrip", false),
        Bool(e, "rstrip", path + ".rstrip", false),
        Bool(e, "single_word", path + ".single_word", false),
        Bool(e, "normalized", path + ".normalized", false));
}
