// BM25 query evaluation: document-at-a-time MaxScore (exact top-k; skips documents that cannot enter it) and the
// exhaustive term-at-a-time scorer it is tested against. Both add a document's term scores in query order, so they
// produce bit-identical scores.
using System.Buffers;

namespace RagTune.Knowledge.Lexical;

public sealed partial class Bm25Index
{
    // Private so that every array in it is known to be all zeros when returned (searches reset what they touch).
    private static readonly ArrayPool<double> ScorePool = ArrayPool<double>.Create(1 << 30, 16);

    // Pruning compares bounds computed in a different order than the exact score: keep a margin for rounding.
    private const double BoundMargin = 1e-9;

    /// <summary>Documents fully scored by the last MaxScore search on this thread (a diagnostic for tests).</summary>
    [ThreadStatic]
    internal static int LastScoredCount;

    private readonly record struct QueryTerm(Postings Postings, double Weight, double UpperBound);

    /// <summary>The top <paramref name="topK"/> documents for <paramref name="query"/>, best first.</summary>
    /// <param name="filter">When given, only ids for which it returns true are ranked.</param>
    public IReadOnlyList<Bm25Hit> Search(string query, int topK = 10, Func<string, bool>? filter = null) =>
        Search(query, topK, filter, exhaustive: false);

    /// <summary>The same ranking by scoring every posting of every query term (the test oracle for MaxScore).</summary>
    internal IReadOnlyList<Bm25Hit> SearchExhaustive(string query, int topK = 10, Func<string, bool>? filter = null) =>
        Search(query, topK, filter, exhaustive: true);

    private IReadOnlyList<Bm25Hit> Search(string query, int topK, Func<string, bool>? filter, bool exhaustive)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topK);
        var (order, counts) = AnalyzeQuery(query);
        _lock.EnterReadLock();
        try
        {
            if (Count == 0) return [];
            var terms = QueryTerms(order, counts);
            if (terms.Count == 0) return [];
            return exhaustive ? Exhaustive(terms, topK, filter) : MaxScore(terms, topK, filter);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>The top <paramref name="topK"/> among <paramref name="ids"/> only (hierarchical search's second stage): each
    /// is scored exactly as <see cref="Search(string, int, Func{string, bool}?)"/> scores it (the corpus statistics stay
    /// those of the whole index), finding its term frequencies by binary search in the query terms' postings; ids that
    /// are not in the index or fail <paramref name="filter"/> are skipped.</summary>
    public IReadOnlyList<Bm25Hit> SearchAmong(string query, int topK, IEnumerable<string> ids, Func<string, bool>? filter = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(topK);
        var (order, counts) = AnalyzeQuery(query);
        _lock.EnterReadLock();
        try
        {
            if (Count == 0) return [];
            var terms = QueryTerms(order, counts);
            if (terms.Count == 0) return [];
            double avgdl = (double)_totalLength / Count;
            var heap = new TopK(topK);
            foreach (string id in ids)
            {
                if (!_docById.TryGetValue(id, out int doc) || (filter is not null && !filter(id))) continue;
                double score = 0;
                foreach (var term in terms)
                {
                    var p = term.Postings;
                    int at = Array.BinarySearch(p.Docs, 0, p.Count, doc);
                    if (at >= 0) score += TermScore(term.Weight, p.Tfs[at], doc, avgdl);
                }
                if (score > 0) heap.Offer(new Bm25Hit(id, score));
            }
            return heap.Drain();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    // The query's distinct terms in order of first appearance, and how often each occurs.
    private (List<string> Order, Dictionary<string, int> Counts) AnalyzeQuery(string query)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var t in Analyzer.Analyze(query))
        {
            if (!counts.ContainsKey(t.Term)) order.Add(t.Term);
            counts[t.Term] = counts.GetValueOrDefault(t.Term) + 1;
        }
        return (order, counts);
    }

    // Known query terms in query order, each with weight = qtf · idf · (k1 + 1) and a score upper bound.
    private List<QueryTerm> QueryTerms(List<string> order, Dictionary<string, int> counts)
    {
        int n = Count;
        double k1 = Options.K1, b = Options.B, avgdl = (double)_totalLength / n;
        var terms = new List<QueryTerm>(order.Count);
        foreach (string term in order)
        {
            if (!_termIds.TryGetValue(term, out int tid)) continue;
            var p = _postings[tid];
            if (p.LiveDf == 0) continue;
            double idf = Math.Log(1 + (n - p.LiveDf + 0.5) / (p.LiveDf + 0.5));
            double weight = counts[term] * idf * (k1 + 1);
            // tf / (tf + k1·(1 − b + b·len/avgdl)) grows with tf and shrinks with len.
            double bound = weight * p.MaxTf / (p.MaxTf + k1 * (1 - b + b * p.MinLength / avgdl));
            terms.Add(new QueryTerm(p, weight, bound * (1 + BoundMargin)));
        }
        return terms;
    }

    private double TermScore(double weight, int tf, int doc, double avgdl) =>
        weight * tf / (tf + Options.K1 * (1 - Options.B + Options.B * _docLengths[doc] / avgdl));

    private IReadOnlyList<Bm25Hit> Exhaustive(List<QueryTerm> terms, int topK, Func<string, bool>? filter)
    {
        double avgdl = (double)_totalLength / Count;
        double[] scores = ScorePool.Rent(_docIds.Count);
        var touched = new List<int>();
        try
        {
            foreach (var term in terms)
            {
                var p = term.Postings;
                for (int i = 0; i < p.Count; i++)
                {
                    int d = p.Docs[i];
                    if (_docIds[d] is null) continue;
                    if (scores[d] == 0) touched.Add(d);
                    scores[d] += TermScore(term.Weight, p.Tfs[i], d, avgdl);
                }
            }
            var heap = new TopK(topK);
            foreach (int d in touched)
            {
                string id = _docIds[d]!;
                if (filter is null || filter(id)) heap.Offer(new Bm25Hit(id, scores[d]));
            }
            return heap.Drain();
        }
        finally
        {
            foreach (int d in touched) scores[d] = 0;
            ScorePool.Return(scores);
        }
    }

    // MaxScore (Turtle & Flood): terms sorted by upper bound; the cheapest terms whose bounds together cannot beat the
    // current k-th score are "non-essential": only documents in the essential terms' postings are candidates, and a
    // candidate is scored exactly only when its essential score plus the non-essential bounds can reach the top k.
    private IReadOnlyList<Bm25Hit> MaxScore(List<QueryTerm> terms, int topK, Func<string, bool>? filter)
    {
        double avgdl = (double)_totalLength / Count;
        int m = terms.Count;
        int[] byBound = Enumerable.Range(0, m).OrderBy(i => terms[i].UpperBound).ToArray();
        var prefixBound = new double[m + 1];
        for (int i = 0; i < m; i++) prefixBound[i + 1] = prefixBound[i] + terms[byBound[i]].UpperBound;
        var cursor = new int[m];     // per query term: position in its postings
        var tfAt = new int[m];       // per query term: tf in the current candidate (0 = absent)
        int firstEssential = 0;      // byBound[0..firstEssential) are non-essential
        var heap = new TopK(topK);
        LastScoredCount = 0;
        while (firstEssential < m)
        {
            int doc = int.MaxValue;
            for (int e = firstEssential; e < m; e++)
            {
                int j = byBound[e];
                var p = terms[j].Postings;
                if (cursor[j] < p.Count) doc = Math.Min(doc, p.Docs[cursor[j]]);
            }
            if (doc == int.MaxValue) break;

            double essential = 0;
            Array.Clear(tfAt);
            for (int e = firstEssential; e < m; e++)
            {
                int j = byBound[e];
                var p = terms[j].Postings;
                if (cursor[j] < p.Count && p.Docs[cursor[j]] == doc)
                {
                    tfAt[j] = p.Tfs[cursor[j]++];
                    essential += TermScore(terms[j].Weight, tfAt[j], doc, avgdl);
                }
            }
            if (_docIds[doc] is not { } id) continue;
            if (heap.IsFull && essential * (1 + BoundMargin) + prefixBound[firstEssential] < heap.Threshold) continue;

            for (int e = 0; e < firstEssential; e++)
            {
                int j = byBound[e];
                tfAt[j] = Seek(terms[j].Postings, ref cursor[j], doc);
            }
            if (filter is not null && !filter(id)) continue;
            LastScoredCount++;
            double score = 0;
            for (int j = 0; j < m; j++)
                if (tfAt[j] > 0) score += TermScore(terms[j].Weight, tfAt[j], doc, avgdl);
            if (!heap.Offer(new Bm25Hit(id, score))) continue;
            while (heap.IsFull && firstEssential < m && prefixBound[firstEssential + 1] < heap.Threshold) firstEssential++;
        }
        return heap.Drain();
    }

    // Advances a cursor to the first posting >= doc (galloping, then binary search); returns tf at doc or 0.
    private static int Seek(Postings p, ref int cursor, int doc)
    {
        int lo = cursor, step = 1, hi = cursor;
        while (hi < p.Count && p.Docs[hi] < doc)
        {
            lo = hi + 1;
            hi += step;
            step *= 2;
        }
        // Docs[hi] (when it exists) is the first probe found >= doc, so it belongs to the searched range.
        hi = Math.Min(hi + 1, p.Count);
        int i = Array.BinarySearch(p.Docs, lo, hi - lo, doc);
        if (i >= 0)
        {
            cursor = i;
            return p.Tfs[i];
        }
        cursor = ~i;
        return 0;
    }

    // The best k hits so far: a min-heap whose root is the worst kept hit (lowest score, then largest id).
    private sealed class TopK(int k)
    {
        private readonly PriorityQueue<Bm25Hit, Bm25Hit> _heap = new(k + 1, HitComparer.WorstFirst);

        public bool IsFull => _heap.Count == k;

        /// <summary>The score a new hit must reach (ties then go by id).</summary>
        public double Threshold => _heap.Peek().Score;

        public bool Offer(Bm25Hit hit)
        {
            if (_heap.Count < k)
            {
                _heap.Enqueue(hit, hit);
                return true;
            }
            if (HitComparer.WorstFirst.Compare(hit, _heap.Peek()) <= 0) return false;
            _heap.EnqueueDequeue(hit, hit);
            return true;
        }

        public Bm25Hit[] Drain()
        {
            var result = new Bm25Hit[_heap.Count];
            for (int i = result.Length - 1; i >= 0; i--) result[i] = _heap.Dequeue();
            return result;
        }
    }

    private sealed class HitComparer : IComparer<Bm25Hit>
    {
        public static readonly HitComparer WorstFirst = new();

        // Negative when x ranks below y: lower score, or equal score and larger id.
        public int Compare(Bm25Hit x, Bm25Hit y) =>
            x.Score != y.Score ? x.Score.CompareTo(y.Score) : string.CompareOrdinal(y.Id, x.Id);
    }
}
