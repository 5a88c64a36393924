// Loads .json (an array of records, or one record) and .jsonl (one record a line): each record becomes a document
// from a chosen text field; a bad record is a per-record error naming its line and field.
using System.Globalization;
using System.Text;
using System.Text.Json;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Loading;

public sealed class JsonLoader : IDocumentLoader
{
    public IReadOnlyList<string> Extensions { get; } = [".json", ".jsonl", ".ndjson"];

    public Task<IReadOnlyList<DocumentLoadResult>> LoadAsync(DocumentSource source, DocumentLoadOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        var text = source.DecodeText();
        var results = new List<DocumentLoadResult>();
        if (source.RelativePath.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            JsonDocument json;
            try
            {
                json = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            }
            catch (JsonException e)
            {
                throw new KnowledgeException($"cannot read '{source.RelativePath}': invalid JSON at line {e.LineNumber + 1} ({e.Message}); expected an array of objects or one object", e);
            }
            using (json)
            {
                if (json.RootElement.ValueKind == JsonValueKind.Array)
                {
                    var n = 0;
                    foreach (var record in json.RootElement.EnumerateArray())
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        n++;
                        results.Add(LoadRecord(source, options, record, n, $"record {n}", record.GetRawText()));
                    }
                }
                else results.Add(LoadRecord(source, options, json.RootElement, 1, "the root object", text));
            }
            return Task.FromResult<IReadOnlyList<DocumentLoadResult>>(results);
        }

        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (lines[i].Trim().Length == 0) continue;
            var line = i + 1;
            try
            {
                using var record = JsonDocument.Parse(lines[i]);
                results.Add(LoadRecord(source, options, record.RootElement, line, $"line {line}", lines[i]));
            }
            catch (JsonException e)
            {
                results.Add(DocumentLoadResult.Failed(source.FullPath, RecordPath(source, line),
                    $"cannot read '{source.RelativePath}' line {line}: invalid JSON ({e.Message}); expected one JSON object per line"));
            }
        }
        return Task.FromResult<IReadOnlyList<DocumentLoadResult>>(results);
    }

    private static DocumentLoadResult LoadRecord(DocumentSource source, DocumentLoadOptions options, JsonElement record, int number, string where, string raw)
    {
        var path = RecordPath(source, number);
        string Fail(string message) => $"cannot read '{source.RelativePath}' {where}: {message}";
        if (record.ValueKind != JsonValueKind.Object)
            return DocumentLoadResult.Failed(source.FullPath, path, Fail($"found a JSON {Kind(record)}, expected an object"));
        var textField = Resolve(record, options.TextField);
        if (textField is not { } text)
            return DocumentLoadResult.Failed(source.FullPath, path, Fail($"field '{options.TextField}' is missing; expected a string holding the text"));
        if (text.ValueKind != JsonValueKind.String)
            return DocumentLoadResult.Failed(source.FullPath, path, Fail($"field '{options.TextField}' is a JSON {Kind(text)}, expected a string"));

        string? title = null;
        if (options.TitleField is { } titleField && Resolve(record, titleField) is { } titleValue)
            title = titleValue.ValueKind == JsonValueKind.String ? titleValue.GetString() : titleValue.GetRawText();
        var id = path;
        if (options.IdField is { } idField && Resolve(record, idField) is { } idValue)
            id = $"{source.RelativePath}#{(idValue.ValueKind == JsonValueKind.String ? idValue.GetString() : idValue.GetRawText())}";

        var metadata = new Dictionary<string, string>
        {
            ["record"] = number.ToString(CultureInfo.InvariantCulture),
            ["source_hash"] = source.ContentHash,
        };
        foreach (var property in record.EnumerateObject())
            if (property.Name != options.TextField && property.Value.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();

        var body = DocumentSource.NormalizeNewlines(text.GetString()!);
        return DocumentLoadResult.Ok(new Document
        {
            Id = id,
            SourcePath = source.FullPath,
            RelativePath = path,
            Title = string.IsNullOrWhiteSpace(title) ? $"{source.BaseName} #{number}" : title.Trim(),
            Text = body,
            ContentHash = DocumentSource.Sha256Hex(Encoding.UTF8.GetBytes(raw)),
            Language = LanguageGuesser.Guess(body),
            Metadata = metadata,
        });
    }

    private static string RecordPath(DocumentSource source, int number) => $"{source.RelativePath}#{number}";

    /// <summary>Follows a dotted path ("body.text") through nested objects; null when any step is missing.</summary>
    private static JsonElement? Resolve(JsonElement record, string path)
    {
        var current = record;
        foreach (var part in path.Split('.'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out var next)) return null;
            current = next;
        }
        return current;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "string",
    };
}
