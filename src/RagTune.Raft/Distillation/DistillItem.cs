// One question/reference-answer pair to distill, read from JSONL with configurable field names.
using System.Text.Json;

namespace RagTune.Raft.Distillation;

public sealed record DistillItem(string Id, string Question, string Reference)
{
    /// <summary>
    /// Reads JSONL; each line must hold string <paramref name="questionField"/> and <paramref name="answerField"/> (numbers
    /// accepted for the answer). Id: <paramref name="idField"/> when present, else the line number.
    /// </summary>
    public static IReadOnlyList<DistillItem> Load(string path, string questionField = "question", string answerField = "answer", string idField = "id")
    {
        var items = new List<DistillItem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (lineNo, e) in JsonInput.ReadLines(path, "distillation input", $"one object per line with '{questionField}' and '{answerField}' fields"))
        {
            if (!e.TryGetProperty(questionField, out var q) || q.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(q.GetString()))
                throw new RaftException($"{path}:{lineNo}: field '{questionField}' is missing or not a non-empty string (use --question-field to name it)");
            if (!e.TryGetProperty(answerField, out var a) || a.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                throw new RaftException($"{path}:{lineNo}: field '{answerField}' is missing or not a string/number (use --answer-field to name it)");
            var id = e.TryGetProperty(idField, out var i) && i.ValueKind is JsonValueKind.String or JsonValueKind.Number ? i.ToString() : $"line{lineNo}";
            if (!ids.Add(id))
                throw new RaftException($"{path}:{lineNo}: duplicate id '{id}': expected unique ids (they key the journal)");
            items.Add(new DistillItem(id, q.GetString()!, a.ValueKind == JsonValueKind.Number ? a.GetRawText() : a.GetString()!));
        }
        if (items.Count == 0)
            throw new RaftException($"distillation input '{path}' holds no items");
        return items;
    }
}
