// A self-contained hard-negative finder (TF-IDF cosine over words and CJK character bigrams) until the knowledge base's retriever is wired in.
using System.Globalization;

namespace RagTune.Raft.Sources;

/// <summary>
/// Ranks chunks of other documents by TF-IDF cosine similarity to the query. Terms: lower-cased Latin/digit words and,
/// for CJK text (no spaces between words), overlapping character bigrams — enough to find "similar but wrong" chunks.
/// Ties break by chunk order, so results are deterministic.
/// </summary>
public sealed class LexicalHardNegativeProvider : IHardNegativeProvider
{
    private readonly IReadOnlyList<RaftChunk> _chunks;
    private readonly Dictionary<string, double> _idf = new(StringComparer.Ordinal);

    // Inverted index: term → (chunk index, normalised weight), so a query touches only chunks sharing a term with it.
    private readonly Dictionary<string, List<(int Chunk, double Weight)>> _postings = new(StringComparer.Ordinal);

    public LexicalHardNegativeProvider(IReadOnlyList<RaftChunk> chunks)
    {
        _chunks = chunks;
        var termCounts = chunks.Select(c => Count(Terms(c.Text))).ToArray();
        var df = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var tc in termCounts)
            foreach (var t in tc.Keys)
                df[t] = df.GetValueOrDefault(t) + 1;
        foreach (var (t, n) in df)
            _idf[t] = Math.Log(1.0 + chunks.Count / (double)n);
        for (var i = 0; i < termCounts.Length; i++)
            foreach (var (t, w) in Weigh(termCounts[i]))
            {
                if (!_postings.TryGetValue(t, out var list))
                    _postings[t] = list = [];
                list.Add((i, w));
            }
    }

    public Task<IReadOnlyList<RaftChunk>> FindSimilarAsync(string query, RaftChunk oracle, int count, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var q = Weigh(Count(Terms(query + "\n" + oracle.Text)));
        var scores = new Dictionary<int, double>();
        foreach (var (t, w) in q)
            if (_postings.TryGetValue(t, out var list))
                foreach (var (chunk, cw) in list)
                    scores[chunk] = scores.GetValueOrDefault(chunk) + w * cw;
        // Chunks sharing no term score 0 and follow in corpus order, so `count` results exist whenever enough chunks do.
        IReadOnlyList<RaftChunk> result = scores.Where(kv => _chunks[kv.Key].DocumentId != oracle.DocumentId)
            .OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key)
            .Select(kv => kv.Key)
            .Concat(Enumerable.Range(0, _chunks.Count).Where(i => !scores.ContainsKey(i) && _chunks[i].DocumentId != oracle.DocumentId))
            .Take(count)
            .Select(i => _chunks[i])
            .ToList();
        return Task.FromResult(result);
    }

    private Dictionary<string, double> Weigh(Dictionary<string, int> counts)
    {
        var v = new Dictionary<string, double>(counts.Count, StringComparer.Ordinal);
        foreach (var (t, n) in counts)
            v[t] = (1 + Math.Log(n)) * _idf.GetValueOrDefault(t, Math.Log(1.0 + _chunks.Count));
        var norm = Math.Sqrt(v.Values.Sum(x => x * x));
        if (norm > 0)
            foreach (var t in v.Keys.ToList())
                v[t] /= norm;
        return v;
    }

    private static Dictionary<string, int> Count(IEnumerable<string> terms)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in terms)
            d[t] = d.GetValueOrDefault(t) + 1;
        return d;
    }

    internal static IEnumerable<string> Terms(string text)
    {
        var word = new System.Text.StringBuilder();
        char? prevCjk = null;
        foreach (var ch in text)
        {
            if (LanguageDetection.IsCjk(ch))
            {
                if (word.Length > 0) { yield return word.ToString(); word.Clear(); }
                if (prevCjk is { } p)
                    yield return string.Concat(p, ch);
                prevCjk = ch;
                continue;
            }
            prevCjk = null;
            if (char.IsLetterOrDigit(ch))
                word.Append(char.ToLower(ch, CultureInfo.InvariantCulture));
            else if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
        }
        if (word.Length > 0)
            yield return word.ToString();
    }
}
