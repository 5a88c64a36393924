// Reads supervised fine-tuning data into conversations: OpenAI-style chat JSONL ({"messages": [{role, content}]}, what the
// RAFT exporter writes), LLaMA-Factory alpaca ({instruction, input, output, system?, history?}) and sharegpt
// ({conversations: [{from, value}], system?}), each as a JSON array or as JSON lines.
using System.Text.Json;
using RagTune.Engine.Chat;

namespace RagTune.Engine.Training;

public static class ConversationReader
{
    public static List<IReadOnlyList<ChatTurn>> Read(string path)
    {
        if (!File.Exists(path)) throw new EngineException($"{path}: training data file not found");
        string text = File.ReadAllText(path);
        var records = new List<(JsonElement Element, string Where)>();
        var docs = new List<JsonDocument>();
        try
        {
            if (text.TrimStart().StartsWith('['))
            {
                var doc = JsonDocument.Parse(text);
                docs.Add(doc);
                int i = 0;
                foreach (var e in doc.RootElement.EnumerateArray()) records.Add((e, $"{path}: item {i++}"));
            }
            else
            {
                int line = 0;
                foreach (var raw in text.Split('\n'))
                {
                    line++;
                    if (raw.Trim().Length == 0) continue;
                    var doc = JsonDocument.Parse(raw);
                    docs.Add(doc);
                    records.Add((doc.RootElement, $"{path}:{line}"));
                }
            }
            return records.Select(r => Parse(r.Element, r.Where)).ToList();
        }
        catch (JsonException ex)
        {
            throw new EngineException($"{path}: not valid JSON or JSON lines ({ex.Message})", ex);
        }
        finally
        {
            foreach (var d in docs) d.Dispose();
        }
    }

    private static IReadOnlyList<ChatTurn> Parse(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw new EngineException($"{where}: expected a JSON object, found {e.ValueKind}");
        var turns = new List<ChatTurn>();
        if (e.TryGetProperty("messages", out var messages))
        {
            foreach (var m in messages.EnumerateArray())
                turns.Add(new ChatTurn(Str(m, "role", where), Str(m, "content", where)));
        }
        else if (e.TryGetProperty("conversations", out var conv))
        {
            if (e.TryGetProperty("system", out var sys) && sys.ValueKind == JsonValueKind.String) turns.Add(new ChatTurn("system", sys.GetString()!));
            foreach (var m in conv.EnumerateArray())
            {
                string from = Str(m, "from", where);
                string role = from switch
                {
                    "human" or "user" => "user",
                    "gpt" or "assistant" => "assistant",
                    "system" => "system",
                    _ => throw new EngineException($"{where}: conversation turn 'from' is \"{from}\", expected human, gpt or system"),
                };
                turns.Add(new ChatTurn(role, Str(m, "value", where)));
            }
        }
        else if (e.TryGetProperty("instruction", out _) && e.TryGetProperty("output", out _))
        {
            if (e.TryGetProperty("system", out var sys) && sys.ValueKind == JsonValueKind.String) turns.Add(new ChatTurn("system", sys.GetString()!));
            if (e.TryGetProperty("history", out var hist) && hist.ValueKind == JsonValueKind.Array)
                foreach (var pair in hist.EnumerateArray())
                {
                    turns.Add(new ChatTurn("user", pair[0].GetString() ?? ""));
                    turns.Add(new ChatTurn("assistant", pair[1].GetString() ?? ""));
                }
            string input = e.TryGetProperty("input", out var inp) && inp.ValueKind == JsonValueKind.String ? inp.GetString()! : "";
            string instruction = Str(e, "instruction", where);
            turns.Add(new ChatTurn("user", input.Length > 0 ? instruction + "\n" + input : instruction));
            turns.Add(new ChatTurn("assistant", Str(e, "output", where)));
        }
        else
            throw new EngineException($"{where}: expected \"messages\" (chat), \"conversations\" (sharegpt) or \"instruction\"/\"output\" (alpaca)");
        if (!turns.Any(t => t.Role == "assistant"))
            throw new EngineException($"{where}: the conversation has no assistant turn, so there is nothing to learn");
        return turns;
    }

    private static string Str(JsonElement e, string name, string where) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()!
            : throw new EngineException($"{where}: field '{name}' is missing or not a string");
}
