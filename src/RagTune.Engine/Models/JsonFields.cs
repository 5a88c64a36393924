// Typed reads of config.json fields with errors that name the file, the field, what was found and what was expected.
using System.Text.Json;

namespace RagTune.Engine.Models;

internal sealed class JsonFields
{
    private readonly JsonElement _root;
    private readonly IReadOnlyDictionary<string, string>? _attributeMap;

    public string File { get; }

    /// <summary>The same fields read through transformers' attribute_map: a read of a common name (hidden_size) reads the
    /// architecture's own field (GPT-2's n_embd), and errors name the field as the file spells it.</summary>
    public JsonFields WithAttributeMap(IReadOnlyDictionary<string, string> attributeMap) => new(_root, File, attributeMap);

    private JsonFields(JsonElement root, string file, IReadOnlyDictionary<string, string> attributeMap) : this(root, file)
        => _attributeMap = attributeMap;

    private string Key(string name) => _attributeMap?.GetValueOrDefault(name) ?? name;

    public JsonFields(JsonElement root, string file)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new EngineException($"{file}: expected a JSON object but found {root.ValueKind}");
        _root = root;
        File = file;
    }

    public static JsonDocument ParseFile(string path)
    {
        try
        {
            return JsonDocument.Parse(System.IO.File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            throw new EngineException($"{path}: not well-formed JSON ({ex.Message})", ex);
        }
    }

    public bool Has(string name) => _root.TryGetProperty(Key(name), out var v) && v.ValueKind != JsonValueKind.Null;

    public JsonElement? Element(string name) => _root.TryGetProperty(Key(name), out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public int Int(string name) => Element(name) is { } v ? AsInt(v, name) : throw Missing(name, "an integer");

    public int Int(string name, int fallback) => Element(name) is { } v ? AsInt(v, name) : fallback;

    public double Double(string name) => Element(name) is { } v ? AsDouble(v, name) : throw Missing(name, "a number");

    public double Double(string name, double fallback) => Element(name) is { } v ? AsDouble(v, name) : fallback;

    public bool Bool(string name, bool fallback)
    {
        if (Element(name) is not { } v) return fallback;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw IllTyped(name, v, "true or false"),
        };
    }

    public string? String(string name, string? fallback = null)
    {
        if (Element(name) is not { } v) return fallback;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw IllTyped(name, v, "a string");
    }

    /// <summary>An id or a list of ids (eos_token_id is either); empty when absent.</summary>
    public int[] IntList(string name)
    {
        if (Element(name) is not { } v) return [];
        if (v.ValueKind == JsonValueKind.Array)
            return v.EnumerateArray().Select(e => AsInt(e, name)).ToArray();
        return [AsInt(v, name)];
    }

    public JsonFields? Object(string name)
    {
        if (Element(name) is not { } v) return null;
        return v.ValueKind == JsonValueKind.Object ? new JsonFields(v, $"{File} ({name})") : throw IllTyped(name, v, "an object");
    }

    public EngineException Invalid(string name, object? found, string expected) =>
        new($"{File}: field \"{Key(name)}\" is {found}, expected {expected}");

    private int AsInt(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i : throw IllTyped(name, v, "an integer");

    private double AsDouble(JsonElement v, string name) =>
        v.ValueKind == JsonValueKind.Number ? v.GetDouble() : throw IllTyped(name, v, "a number");

    private EngineException Missing(string name, string expected) => new($"{File}: field \"{Key(name)}\" is missing (expected {expected})");

    private EngineException IllTyped(string name, JsonElement v, string expected) =>
        new($"{File}: field \"{Key(name)}\" is {v.GetRawText()} ({v.ValueKind}), expected {expected}");
}
