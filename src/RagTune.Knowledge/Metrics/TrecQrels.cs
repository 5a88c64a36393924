// Relevance judgments (qrels): query id → document id → relevance level, read from trec_eval's "qid iter docno rel" format.
namespace RagTune.Knowledge.Metrics;

public sealed class TrecQrels
{
    private readonly Dictionary<string, Dictionary<string, int>> _byQuery = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> QueryIds => _byQuery.Keys;

    /// <summary>Judgments of one query (empty when the query has none).</summary>
    public IReadOnlyDictionary<string, int> For(string queryId) =>
        _byQuery.TryGetValue(queryId, out var j) ? j : new Dictionary<string, int>();

    public bool Contains(string queryId) => _byQuery.ContainsKey(queryId);

    /// <summary>Adds a judgment; a level &gt; 0 is relevant, 0 judged non-relevant, &lt; 0 in the pool but unjudged.</summary>
    public void Add(string queryId, string docId, int relevance)
    {
        if (!_byQuery.TryGetValue(queryId, out var judgments)) _byQuery[queryId] = judgments = new Dictionary<string, int>(StringComparer.Ordinal);
        if (!judgments.TryAdd(docId, relevance))
            throw new KnowledgeException($"qrels: query '{queryId}' judges document '{docId}' twice; expected one judgment per (query, document).");
    }

    public static TrecQrels Load(string path)
    {
        var qrels = new TrecQrels();
        int lineNo = 0;
        foreach (string line in TrecFile.ReadLines(path))
        {
            lineNo++;
            var f = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0) continue;
            if (f.Length != 4 || !int.TryParse(f[3], out int rel))
                throw new KnowledgeException($"qrels '{path}' line {lineNo}: found '{line}'; expected 'qid iter docno rel' with an integer rel.");
            try
            {
                qrels.Add(f[0], f[2], rel);
            }
            catch (KnowledgeException ex)
            {
                throw new KnowledgeException($"qrels '{path}' line {lineNo}: {ex.Message}", ex);
            }
        }
        return qrels;
    }
}
