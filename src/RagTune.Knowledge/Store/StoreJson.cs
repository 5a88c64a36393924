// JSON conventions of the embedded store's files (kb.json, manifest, catalog, chunks): snake_case names, enums as strings.
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RagTune.Knowledge.Store;

internal static class StoreJson
{
    public static readonly JsonSerializerOptions Compact = Create(indented: false);
    public static readonly JsonSerializerOptions Indented = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented) => new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        WriteIndented = indented,
        // Chinese text stays readable in the files (and in exports) instead of \uXXXX escapes.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static T Read<T>(string path, string what)
    {
        T? value;
        try
        {
            value = JsonSerializer.Deserialize<T>(File.ReadAllBytes(path), Compact);
        }
        catch (JsonException e)
        {
            throw new KnowledgeException($"{path}: invalid {what} ({e.Message}); expected the JSON RagTune writes", e);
        }
        return value ?? throw new KnowledgeException($"{path}: found null; expected a {what}");
    }
}
