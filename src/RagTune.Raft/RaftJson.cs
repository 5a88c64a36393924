// The JSON conventions of RAFT files (snake_case, enums as strings, UTF-8 text left readable).
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RagTune.Raft;

internal static class RaftJson
{
    /// <summary>Journal and export lines: compact, snake_case, Chinese kept as characters rather than \u escapes.</summary>
    public static readonly JsonSerializerOptions Lines = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>Whole-file JSON (LLaMA-Factory arrays, dataset_info.json): indented.</summary>
    public static readonly JsonSerializerOptions Indented = new(Lines) { WriteIndented = true };
}
