// Reads supervised fine-tuning data into conversations: OpenAI-style chat JSONL ({"messages": [{role, content}]}, what the
// RAFT exporter writes), LLaMA-Factory alpaca ({instruction, input, output, system?, history?}) and sharegpt
// ({conversations: [{from, value}], system?}), each as a JSON array or as JSON lines. A bad record is one error naming the
// file, the 1-based line (or array item), the field and what was expected: roles are system/user/assistant only, and an
// empty answer is refused rather than trained on.
using System.Text.Json;
using RagTune.Engine.Chat;
using RagTune.Engine.IO;

namespace RagTune.Engine.Training;

public static class ConversationReader
{
    public static List<IReadOnlyList<ChatTurn>> Read(string path)
    {
        if (!File.Exists(path)) throw new EngineException($"{path}: training data file not found");
        string text = File.ReadAllText(path);
        var conversations = new List<IReadOnlyList<ChatTurn>>();
        if (text.TrimStart().StartsWith('['))
        {
            using var doc = Parse(text, path, "");
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
                throw new EngineException($"{path}: expected a JSON array of conversations");
            int i = 0;
            foreach (var e in doc.RootElement.EnumerateArray()) conversations.Add(Parse(e, $"{path}: item {i++}"));
            return conversations;
        }
        int line = 0;
        foreach (var raw in text.Split('\n'))
        {
            line++;
            if (raw.Trim().Length == 0) continue;
            string where = $"{path}:{line}";
            using var doc = Parse(raw, where, " of the line");
            conversations.Add(Parse(doc.RootElement, where));
        }
        return conversations;
    }

    private static JsonDocument Parse(string json, string where, string scope)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            string at = e.LineNumber is { } l && e.BytePositionInLine is { } b
                ? scope.Length > 0 ? $" at byte {b + 1}{scope}" : $" at line {l + 1}, byte {b + 1}"
                : "";
            throw new EngineException($"{where}: not valid JSON{at} ({JsonErrors.Reason(e)}); expected one JSON object per line or a JSON array", e);
        }
    }

    private static IReadOnlyList<ChatTurn> Parse(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new EngineException($"{where}: expected a JSON object, found {Kind(e)}");
        var turns = new List<ChatTurn>();
        if (e.TryGetProperty("messages", out var messages))
        {
            int i = 0;
            foreach (var m in Array(messages, "messages", "{role, content} objects", where))
            {
                string field = $"messages[{i++}]";
                if (m.ValueKind != JsonValueKind.Object) throw new EngineException($"{where}: {field} is {Kind(m)}; expected an object with role and content");
                string role = Str(m, "role", field, where);
                if (role is not ("system" or "user" or "assistant"))
                    throw new EngineException($"{where}: {field}.role is '{role}'; expected system, user or assistant");
                turns.Add(Turn(role, Str(m, "content", field, where), field, where));
            }
        }
        else if (e.TryGetProperty("conversations", out var conv))
        {
            if (e.TryGetProperty("system", out var sys) && sys.ValueKind == JsonValueKind.String) turns.Add(new ChatTurn("system", sys.GetString()!));
            int i = 0;
            foreach (var m in Array(conv, "conversations", "{from, value} objects", where))
            {
                string field = $"conversations[{i++}]";
                if (m.ValueKind != JsonValueKind.Object) throw new EngineException($"{where}: {field} is {Kind(m)}; expected an object with from and value");
                string from = Str(m, "from", field, where);
                string role = from switch
                {
                    "human" or "user" => "user",
                    "gpt" or "assistant" => "assistant",
                    "system" => "system",
                    _ => throw new EngineException($"{where}: {field}.from is '{from}'; expected human, gpt or system"),
                };
                turns.Add(Turn(role, Str(m, "value", field, where), field, where));
            }
        }
        else if (e.TryGetProperty("instruction", out _) && e.TryGetProperty("output", out _))
        {
            if (e.TryGetProperty("system", out var sys) && sys.ValueKind == JsonValueKind.String) turns.Add(new ChatTurn("system", sys.GetString()!));
            if (e.TryGetProperty("history", out var hist) && hist.ValueKind != JsonValueKind.Null)
            {
                int i = 0;
                foreach (var pair in Array(hist, "history", "[question, answer] pairs", where))
                {
                    string field = $"history[{i++}]";
                    if (pair.ValueKind != JsonValueKind.Array || pair.GetArrayLength() != 2
                        || pair[0].ValueKind != JsonValueKind.String || pair[1].ValueKind != JsonValueKind.String)
                        throw new EngineException($"{where}: {field} is not a pair of strings; expected [question, answer]");
                    turns.Add(new ChatTurn("user", pair[0].GetString()!));
                    turns.Add(Turn("assistant", pair[1].GetString()!, field, where));
                }
            }
            string input = e.TryGetProperty("input", out var inp) && inp.ValueKind == JsonValueKind.String ? inp.GetString()! : "";
            string instruction = Str(e, "instruction", null, where);
            turns.Add(new ChatTurn("user", input.Length > 0 ? instruction + "\n" + input : instruction));
            turns.Add(Turn("assistant", Str(e, "output", null, where), "output", where));
        }
        else
            throw new EngineException($"{where}: expected \"messages\" (chat), \"conversations\" (sharegpt) or \"instruction\"/\"output\" (alpaca)");
        if (!turns.Any(t => t.Role == "assistant"))
            throw new EngineException($"{where}: the conversation has no assistant turn, so there is nothing to learn");
        return turns;
    }

    /// <summary>A turn; an assistant turn must hold an answer (training on an empty one teaches the model to say nothing).</summary>
    private static ChatTurn Turn(string role, string content, string field, string where) =>
        role == "assistant" && string.IsNullOrWhiteSpace(content)
            ? throw new EngineException($"{where}: {field} (assistant) is empty; expected an answer to learn from")
            : new ChatTurn(role, content);

    private static JsonElement.ArrayEnumerator Array(JsonElement e, string field, string items, string where) =>
        e.ValueKind == JsonValueKind.Array
            ? e.EnumerateArray()
            : throw new EngineException($"{where}: '{field}' is {Kind(e)}; expected an array of {items}");

    private static string Str(JsonElement e, string name, string? parent, string where) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new EngineException($"{where}: {(parent is null ? "" : parent + ".")}{name} is {(v.ValueKind == JsonValueKind.Undefined ? "missing" : Kind(v))}; expected a string");

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
