// Reads RAFT JSONL records for the viewer: question, the documents with the oracle marked, the CoT answer and its quotes.
using RagTune.Knowledge.Rag;
using System.Text.Json;

namespace RagTune.Server.Ui;

public static class RaftDatasetReader
{
    public sealed record RaftDocument(string Title, string Text, bool Oracle);

    public sealed record RaftRecord(int Line, string Id, string Question, IReadOnlyList<RaftDocument> Documents, string CotAnswer,
        IReadOnlyList<string> Quotes, string? FinalAnswer);

    public sealed record RaftPage(string Name, int Offset, int Total, IReadOnlyList<RaftRecord> Records);

    public static async Task<RaftPage> ReadAsync(string path, string name, int offset, int limit, CancellationToken cancellationToken)
    {
        var records = new List<RaftRecord>();
        var format = RagPromptFormat.LoadBeside(path);
        int line = 0, total = 0;
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } text)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            total++;
            if (total <= offset || records.Count >= limit) continue;
            records.Add(Parse(text, name, line, format));
        }
        return new RaftPage(name, offset, total, records);
    }

    /// <summary>One record; its quotes and final answer as <paramref name="format"/> (the dataset's recorded format) marks them.</summary>
    public static RaftRecord Parse(string json, string name, int line, RagPromptFormat format)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            string Str(string field) => r.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            var oracles = new HashSet<string>(StringComparer.Ordinal);
            if (r.TryGetProperty("oracle_context", out var oc))
            {
                if (oc.ValueKind == JsonValueKind.String) oracles.Add(oc.GetString()!);
                else if (oc.ValueKind == JsonValueKind.Array) foreach (var o in oc.EnumerateArray()) oracles.Add(o.GetString() ?? "");
            }
            var documents = new List<RaftDocument>();
            if (r.TryGetProperty("context", out var ctx) && ctx.ValueKind == JsonValueKind.Object)
            {
                var sentences = First(ctx, "sentences");
                var titles = First(ctx, "title");
                for (int i = 0; i < sentences.Count; i++)
                    documents.Add(new RaftDocument(i < titles.Count ? titles[i] : "", sentences[i], oracles.Contains(sentences[i])));
            }
            string cot = Str("cot_answer");
            bool answered = cot.Contains(format.AnswerMarker, StringComparison.Ordinal);
            return new RaftRecord(line, Str("id"), Str("question"), documents, cot, CitationExtractor.Quotes(cot, format),
                answered ? format.FinalAnswer(cot) : null);
        }
        catch (JsonException e)
        {
            throw new ApiException(422, $"dataset '{name}' line {line} is not valid JSON: {e.Message}", "invalid_request_error", "invalid_dataset");
        }
    }

    // context.title / context.sentences are [[...]] (one list, as raft.py writes them); a flat list is accepted too.
    private static List<string> First(JsonElement ctx, string field)
    {
        if (!ctx.TryGetProperty(field, out var v) || v.ValueKind != JsonValueKind.Array) return [];
        var items = v.EnumerateArray().ToList();
        if (items.Count > 0 && items[0].ValueKind == JsonValueKind.Array) items = items[0].EnumerateArray().ToList();
        return items.Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.ToString()).ToList();
    }
}
