// Reads an eval set from JSONL: the RAFT `eval` export ({question, gold_final_answer, context}), RAFT training rows
// (cot_answer, oracle_context) or plain {question, answers, context}; each bad line is one EvalException naming file:line.
using System.Text.Json;
using RagTune.Eval.Metrics;
using RagTune.Knowledge;
using RagTune.Knowledge.Rag;

namespace RagTune.Eval.Data;

public static class EvalSetReader
{
    public static async Task<IReadOnlyList<EvalItem>> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new EvalException($"{path}: eval set not found; expected a JSONL file");
        var lines = await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false);
        return Parse(lines, path, ReadFormat(path));
    }

    /// <summary>The prompt format recorded beside an eval set (<see cref="RagPromptFormat.FileName"/>, written by the RAFT
    /// export), or the default for sets without one.</summary>
    public static RagPromptFormat ReadFormat(string path)
    {
        try
        {
            return RagPromptFormat.LoadBeside(path);
        }
        catch (KnowledgeException e)
        {
            throw new EvalException(e.Message, e);
        }
    }

    /// <summary>Parses JSONL lines; <paramref name="source"/> names the file in error messages; <paramref name="format"/>
    /// reads the final answer out of RAFT rows' cot_answer (default: <see cref="RagPromptFormat.Default"/>).</summary>
    public static IReadOnlyList<EvalItem> Parse(IEnumerable<string> lines, string source, RagPromptFormat? format = null)
    {
        format ??= RagPromptFormat.Default;
        var items = new List<EvalItem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (var raw in lines)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(raw)) continue;
            var where = $"{source}:{lineNo}";
            JsonDocument doc;
            try { doc = JsonDocument.Parse(raw); }
            catch (JsonException ex) { throw new EvalException($"{where}: not valid JSON ({ex.Message}); expected one JSON object per line", ex); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new EvalException($"{where}: found a JSON {doc.RootElement.ValueKind}; expected a JSON object");
                var item = ParseItem(doc.RootElement, where, lineNo, format);
                if (!ids.Add(item.Id)) throw new EvalException($"{where}: field 'id' repeats '{item.Id}'; expected unique ids");
                items.Add(item);
            }
        }
        if (items.Count == 0) throw new EvalException($"{source}: no items; expected at least one JSON line with a question");
        return items;
    }

    private static EvalItem ParseItem(JsonElement o, string where, int lineNo, RagPromptFormat format)
    {
        string id = o.TryGetProperty("id", out var idEl) && idEl.ValueKind is JsonValueKind.String or JsonValueKind.Number
            ? idEl.ToString() : $"line-{lineNo}";
        if (id.Length == 0) id = $"line-{lineNo}";
        var question = RequireString(o, "question", where);
        var answers = ReadAnswers(o, where, format);
        string? oracleText = o.TryGetProperty("oracle_context", out var oc) && oc.ValueKind == JsonValueKind.String ? oc.GetString() : null;
        var docs = o.TryGetProperty("context", out var ctx) ? ReadContext(ctx, id, oracleText, where) : [];
        List<string>? oracleIds = null;
        if (o.TryGetProperty("oracle_id", out var oid) && oid.ValueKind is JsonValueKind.String or JsonValueKind.Number)
            oracleIds = [oid.ToString()];
        else if (o.TryGetProperty("oracle_ids", out var oids))
            oracleIds = ReadStringArray(oids, "oracle_ids", where);
        if (oracleIds is not null)
            docs = docs.Select(d => oracleIds.Contains(d.Id) ? d with { IsOracle = true } : d).ToList();
        return new EvalItem(id, question, answers, docs, oracleIds);
    }

    private static List<string> ReadAnswers(JsonElement o, string where, RagPromptFormat format)
    {
        if (o.TryGetProperty("answers", out var a))
        {
            if (a.ValueKind != JsonValueKind.Array)
                throw new EvalException($"{where}: field 'answers' is a JSON {a.ValueKind}; expected an array of strings or of {{\"text\": …}} objects");
            var list = new List<string>();
            foreach (var e in a.EnumerateArray())
            {
                if (e.ValueKind == JsonValueKind.String) list.Add(e.GetString()!);
                else if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String) list.Add(t.GetString()!);
                else throw new EvalException($"{where}: field 'answers' holds a JSON {e.ValueKind}; expected strings or {{\"text\": …}} objects");
            }
            if (list.Count == 0) throw new EvalException($"{where}: field 'answers' is empty; expected at least one reference answer");
            return list;
        }
        foreach (var name in new[] { "gold_final_answer", "answer" })
            if (o.TryGetProperty(name, out _)) return [RequireString(o, name, where)];
        if (o.TryGetProperty("cot_answer", out _))
            return [format.FinalAnswer(RequireString(o, "cot_answer", where))];
        throw new EvalException($"{where}: no reference answer; expected field 'answers', 'gold_final_answer', 'answer' or 'cot_answer'");
    }

    // context: a string, an array of strings or {id, text, title?, is_oracle?} objects, or RAFT's {"title": [[…]], "sentences": [[…]]}.
    private static List<EvalDocument> ReadContext(JsonElement ctx, string itemId, string? oracleText, string where)
    {
        var texts = new List<(string? Id, string Text, string? Title, bool Oracle)>();
        switch (ctx.ValueKind)
        {
            case JsonValueKind.Null:
                break;
            case JsonValueKind.String:
                texts.Add((null, ctx.GetString()!, null, false));
                break;
            case JsonValueKind.Array:
                foreach (var e in ctx.EnumerateArray())
                {
                    if (e.ValueKind == JsonValueKind.String) texts.Add((null, e.GetString()!, null, false));
                    else if (e.ValueKind == JsonValueKind.Object)
                    {
                        var text = RequireString(e, "text", $"{where}: context entry");
                        string? did = e.TryGetProperty("id", out var d) && d.ValueKind is JsonValueKind.String or JsonValueKind.Number ? d.ToString() : null;
                        string? title = e.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                        bool oracle = e.TryGetProperty("is_oracle", out var io) && io.ValueKind == JsonValueKind.True;
                        texts.Add((did, text, title, oracle));
                    }
                    else throw new EvalException($"{where}: field 'context' holds a JSON {e.ValueKind}; expected strings or {{\"text\": …}} objects");
                }
                break;
            case JsonValueKind.Object when ctx.TryGetProperty("sentences", out var sentences):
                var titles = ctx.TryGetProperty("title", out var tl) ? Flatten(tl, "context.title", where) : [];
                var sents = Flatten(sentences, "context.sentences", where);
                for (int i = 0; i < sents.Count; i++) texts.Add((null, sents[i], i < titles.Count ? titles[i] : null, false));
                break;
            default:
                throw new EvalException($"{where}: field 'context' is a JSON {ctx.ValueKind}; expected a string, an array, or an object with 'sentences'");
        }
        var docs = new List<EvalDocument>(texts.Count);
        for (int i = 0; i < texts.Count; i++)
        {
            var (did, text, title, oracle) = texts[i];
            oracle |= oracleText is not null && CitationCheck.StripWhitespace(text) == CitationCheck.StripWhitespace(oracleText);
            docs.Add(new EvalDocument(did ?? $"{itemId}#{i}", text, oracle, title));
        }
        return docs;
    }

    // RAFT nests one list per example: [[d1, d2, …]]; a flat list is accepted too.
    private static List<string> Flatten(JsonElement e, string field, string where)
    {
        var list = new List<string>();
        if (e.ValueKind != JsonValueKind.Array) throw new EvalException($"{where}: field '{field}' is a JSON {e.ValueKind}; expected an array");
        foreach (var x in e.EnumerateArray())
        {
            if (x.ValueKind == JsonValueKind.Array) list.AddRange(ReadStringArray(x, field, where));
            else if (x.ValueKind == JsonValueKind.String) list.Add(x.GetString()!);
            else throw new EvalException($"{where}: field '{field}' holds a JSON {x.ValueKind}; expected strings");
        }
        return list;
    }

    private static List<string> ReadStringArray(JsonElement e, string field, string where)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new EvalException($"{where}: field '{field}' is a JSON {e.ValueKind}; expected an array of strings");
        return e.EnumerateArray().Select(x => x.ValueKind is JsonValueKind.String or JsonValueKind.Number ? x.ToString()
            : throw new EvalException($"{where}: field '{field}' holds a JSON {x.ValueKind}; expected strings")).ToList();
    }

    private static string RequireString(JsonElement o, string name, string where)
    {
        if (!o.TryGetProperty(name, out var v))
            throw new EvalException($"{where}: field '{name}' is missing; expected a string");
        if (v.ValueKind != JsonValueKind.String)
            throw new EvalException($"{where}: field '{name}' is a JSON {v.ValueKind}; expected a string");
        var s = v.GetString()!;
        if (name == "question" && s.Trim().Length == 0)
            throw new EvalException($"{where}: field 'question' is empty; expected a non-empty string");
        return s;
    }
}
