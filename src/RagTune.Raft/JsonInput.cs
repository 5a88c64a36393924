// Reading user-supplied JSON and JSONL files with errors that name the file, the line and what was expected.
using System.Text.Json;

namespace RagTune.Raft;

internal static class JsonInput
{
    /// <summary>Parses a whole JSON file that must be an object; <paramref name="expected"/> describes the format for messages.</summary>
    public static JsonElement ReadObject(string path, string what, string expected)
    {
        if (!File.Exists(path))
            throw new RaftException($"{what} '{path}' does not exist: expected {expected}");
        JsonElement root;
        try
        {
            root = JsonDocument.Parse(File.ReadAllText(path)).RootElement;
        }
        catch (JsonException ex)
        {
            throw new RaftException($"{what} '{path}' is not valid JSON ({ex.Message}): expected {expected}", ex);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new RaftException($"{what} '{path}': found {root.ValueKind}, expected {expected}");
        return root;
    }

    /// <summary>The non-blank lines of a JSONL file as objects, with their 1-based line numbers.</summary>
    public static IEnumerable<(int Line, JsonElement Value)> ReadLines(string path, string what, string expected)
    {
        if (!File.Exists(path))
            throw new RaftException($"{what} '{path}' does not exist: expected {expected}");
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            JsonElement e;
            try
            {
                e = JsonDocument.Parse(line).RootElement;
            }
            catch (JsonException ex)
            {
                throw new RaftException($"{path}:{lineNo}: not valid JSON ({ex.Message}): expected {expected}", ex);
            }
            if (e.ValueKind != JsonValueKind.Object)
                throw new RaftException($"{path}:{lineNo}: found {e.ValueKind}, expected {expected}");
            yield return (lineNo, e);
        }
    }
}
