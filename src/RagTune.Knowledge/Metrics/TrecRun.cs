// A run (ranked results per query) in trec_eval's "qid Q0 docno rank score runid" format; the rank column is ignored,
// as trec_eval ignores it: the order comes from the scores.
namespace RagTune.Knowledge.Metrics;

public sealed class TrecRun
{
    private readonly Dictionary<string, List<(string DocId, double Score)>> _byQuery = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> QueryIds => _byQuery.Keys;

    public IReadOnlyList<(string DocId, double Score)> For(string queryId) =>
        _byQuery.TryGetValue(queryId, out var r) ? r : [];

    public void Add(string queryId, string docId, double score)
    {
        if (!_byQuery.TryGetValue(queryId, out var results)) _byQuery[queryId] = results = [];
        results.Add((docId, score));
    }

    public static TrecRun Load(string path)
    {
        var run = new TrecRun();
        int lineNo = 0;
        foreach (string line in TrecFile.ReadLines(path))
        {
            lineNo++;
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0) continue;
            if (f.Length != 6 || !double.TryParse(f[4], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double score))
                throw new KnowledgeException($"run '{path}' line {lineNo}: found '{line}'; expected 'qid Q0 docno rank score runid' with a numeric score.");
            run.Add(f[0], f[2], score);
        }
        return run;
    }
}

internal static class TrecFile
{
    public static IEnumerable<string> ReadLines(string path)
    {
        if (!File.Exists(path)) throw new KnowledgeException($"trec file '{path}': not found; expected an existing qrels or run file.");
        return File.ReadLines(path);
    }
}
