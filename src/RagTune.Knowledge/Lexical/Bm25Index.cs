// An Okapi BM25 inverted index: term → postings (internal doc number, tf), doc lengths, live statistics. Documents are
// added, updated and removed by external id; removals are tombstoned and compacted; Save/Load persist a directory.
using RagTune.Knowledge.Analysis;

namespace RagTune.Knowledge.Lexical;

/// <remarks>
/// Score(q, d) = Σ over query tokens t of idf(t) · tf·(k1+1) / (tf + k1·(1 − b + b·|d|/avgdl)), with Lucene's
/// idf(t) = ln(1 + (N − df + 0.5)/(df + 0.5)); a term repeated in the query counts once per occurrence; |d| is the
/// exact token count (Lucene stores a lossy one-byte norm, and since 8.0 drops the constant factor (k1+1), which
/// does not change rankings). N, df and avgdl always describe the live documents only,
/// so an index built incrementally scores exactly like one rebuilt from scratch. Ties rank by id (ordinal).
/// Queries run document-at-a-time with MaxScore pruning (exact top-k, same scores as exhaustive scoring).
/// Thread-safety: any number of concurrent searches, writes exclusive (a reader/writer lock).
/// Persistence (<see cref="Save"/>): a full rewrite of one compacted binary file per save, never in place: the new
/// file gets the next generation number, is flushed to disk, then manifest.json is swapped in by rename, and old
/// generations are deleted. A crash at any point leaves the previous manifest and its file intact; stray files of an
/// unfinished save are ignored by Load and removed by the next Save. A full rewrite keeps the format and crash-safety
/// simple; it costs one sequential write of the compacted index (about 11 MB per 100k chunks of 40 words, 3 s for
/// 1M chunks, see bench/RESULTS.md), which is small next to analysing the text that changed.
/// </remarks>
public sealed partial class Bm25Index
{
    private sealed class Postings
    {
        public int[] Docs = new int[2];
        public int[] Tfs = new int[2];
        public int Count;
        public int LiveDf;
        // For MaxScore's upper bound: the largest tf and the shortest document ever appended (removals keep them valid).
        public int MaxTf;
        public int MinLength = int.MaxValue;

        public void Append(int doc, int tf, int length)
        {
            MaxTf = Math.Max(MaxTf, tf);
            MinLength = Math.Min(MinLength, length);
            if (Count == Docs.Length)
            {
                Array.Resize(ref Docs, Count * 2);
                Array.Resize(ref Tfs, Count * 2);
            }
            Docs[Count] = doc;
            Tfs[Count] = tf;
            Count++;
            LiveDf++;
        }
    }

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<string, int> _termIds = new(StringComparer.Ordinal);
    private readonly List<string> _terms = [];
    private readonly List<Postings> _postings = [];
    private readonly List<string?> _docIds = [];           // by doc number; null = removed (tombstone)
    private readonly List<int> _docLengths = [];
    private readonly List<int[]> _docTerms = [];           // distinct term ids per doc, to adjust df on removal
    private readonly Dictionary<string, int> _docById = new(StringComparer.Ordinal);
    private long _totalLength;
    private int _dead;

    public Bm25Index(Bm25Options? options = null)
    {
        var o = options ?? new Bm25Options();
        o.Validate();
        Analyzer = TextAnalyzerFactory.Create(o.Analyzer);
        Options = o with { Analyzer = Analyzer.Options };
    }

    /// <summary>The options, with the analyzer options resolved (the Chinese mode and dictionary actually used).</summary>
    public Bm25Options Options { get; }

    public TextAnalyzer Analyzer { get; }

    /// <summary>Live documents.</summary>
    public int Count => _docById.Count;

    /// <summary>Distinct terms in the dictionary (including terms whose documents were all removed, until compaction).</summary>
    public int TermCount => _terms.Count;

    /// <summary>Size of the doc table, tombstones included (what compaction shrinks).</summary>
    internal int DocumentSlots => _docIds.Count;

    public double AverageDocumentLength => Count == 0 ? 0 : (double)_totalLength / Count;

    public bool Contains(string id) => Read(() => _docById.ContainsKey(id));

    /// <summary>Adds a document, or replaces it when the id exists.</summary>
    public void Add(string id, string text)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(text);
        var tokens = Analyzer.Analyze(text);
        _lock.EnterWriteLock();
        try
        {
            if (_docById.ContainsKey(id)) RemoveLocked(id);
            AddLocked(id, tokens);
            CompactIfWorthIt();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Removes a document; false when the id is not in the index.</summary>
    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        _lock.EnterWriteLock();
        try
        {
            if (!_docById.ContainsKey(id)) return false;
            RemoveLocked(id);
            CompactIfWorthIt();
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    // Tombstones cost memory and search time; rebuild once they are a quarter of the doc table.
    private void CompactIfWorthIt()
    {
        if (_dead > 1024 && _dead * 4 > _docIds.Count) CompactLocked();
    }

    private void AddLocked(string id, IReadOnlyList<AnalyzedToken> tokens)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in tokens) counts[t.Term] = counts.GetValueOrDefault(t.Term) + 1;
        int doc = _docIds.Count;
        var termIds = new int[counts.Count];
        int k = 0;
        foreach (var (term, tf) in counts)
        {
            if (!_termIds.TryGetValue(term, out int tid))
            {
                tid = _terms.Count;
                _termIds[term] = tid;
                _terms.Add(term);
                _postings.Add(new Postings());
            }
            _postings[tid].Append(doc, tf, tokens.Count);
            termIds[k++] = tid;
        }
        _docIds.Add(id);
        _docLengths.Add(tokens.Count);
        _docTerms.Add(termIds);
        _docById[id] = doc;
        _totalLength += tokens.Count;
    }

    private void RemoveLocked(string id)
    {
        int doc = _docById[id];
        _docById.Remove(id);
        foreach (int tid in _docTerms[doc]) _postings[tid].LiveDf--;
        _totalLength -= _docLengths[doc];
        _docIds[doc] = null;
        _docTerms[doc] = [];
        _dead++;
    }

    /// <summary>Drops tombstones: renumbers live documents in order and rebuilds the postings without them.</summary>
    public void Compact()
    {
        _lock.EnterWriteLock();
        try
        {
            CompactLocked();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void CompactLocked()
    {
        if (_dead == 0) return;
        var newNumber = new int[_docIds.Count];
        int live = 0;
        for (int d = 0; d < _docIds.Count; d++) newNumber[d] = _docIds[d] is null ? -1 : live++;
        var oldTerms = _terms.ToArray();
        var oldPostings = _postings.ToArray();
        _termIds.Clear();
        _terms.Clear();
        _postings.Clear();
        var termRemap = new int[oldTerms.Length];
        for (int t = 0; t < oldTerms.Length; t++)
        {
            var p = oldPostings[t];
            termRemap[t] = -1;
            if (p.LiveDf == 0) continue;
            var np = new Postings { Docs = new int[p.LiveDf], Tfs = new int[p.LiveDf] };
            for (int i = 0; i < p.Count; i++)
            {
                int nd = newNumber[p.Docs[i]];
                if (nd >= 0) np.Append(nd, p.Tfs[i], _docLengths[p.Docs[i]]);
            }
            termRemap[t] = _terms.Count;
            _termIds[oldTerms[t]] = _terms.Count;
            _terms.Add(oldTerms[t]);
            _postings.Add(np);
        }
        var ids = new List<string?>(live);
        var lengths = new List<int>(live);
        var docTerms = new List<int[]>(live);
        for (int d = 0; d < _docIds.Count; d++)
        {
            if (_docIds[d] is not { } id) continue;
            ids.Add(id);
            lengths.Add(_docLengths[d]);
            docTerms.Add(Array.ConvertAll(_docTerms[d], t => termRemap[t]));
            _docById[id] = newNumber[d];
        }
        _docIds.Clear(); _docIds.AddRange(ids);
        _docLengths.Clear(); _docLengths.AddRange(lengths);
        _docTerms.Clear(); _docTerms.AddRange(docTerms);
        _dead = 0;
    }

    /// <summary>Writes the index to <paramref name="directory"/> (created if needed) crash-safely; see the remarks.</summary>
    public void Save(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _lock.EnterWriteLock();
        try
        {
            CompactLocked();
            Bm25IndexFile.Save(directory, Options, _docIds!, _docLengths, _terms, _postings.Select(p => (p.Docs, p.Tfs, p.Count)).ToList());
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Opens an index saved by <see cref="Save"/>, with the analyzer recorded in it.</summary>
    public static Bm25Index Load(string directory)
    {
        var data = Bm25IndexFile.Load(directory);
        var index = new Bm25Index(data.Options);
        index.Restore(data);
        return index;
    }

    private void Restore(Bm25IndexFile.Contents data)
    {
        int docCount = data.DocIds.Length;
        var termsPerDoc = new int[docCount];
        for (int d = 0; d < docCount; d++)
        {
            _docIds.Add(data.DocIds[d]);
            _docLengths.Add(data.DocLengths[d]);
            _totalLength += data.DocLengths[d];
            if (!_docById.TryAdd(data.DocIds[d], d))
                throw new KnowledgeException($"BM25 index '{data.Path}': document id '{data.DocIds[d]}' appears twice; expected unique ids.");
        }
        for (int t = 0; t < data.Terms.Length; t++)
        {
            var p = new Postings { Docs = data.Docs[t], Tfs = data.Tfs[t], Count = data.Docs[t].Length, LiveDf = data.Docs[t].Length };
            for (int i = 0; i < p.Count; i++)
            {
                p.MaxTf = Math.Max(p.MaxTf, p.Tfs[i]);
                p.MinLength = Math.Min(p.MinLength, data.DocLengths[p.Docs[i]]);
            }
            _termIds[data.Terms[t]] = t;
            _terms.Add(data.Terms[t]);
            _postings.Add(p);
            foreach (int d in p.Docs) termsPerDoc[d]++;
        }
        // The forward lists (term ids per doc) are derived from the postings in two passes: sizes, then fill.
        var forward = new int[docCount][];
        for (int d = 0; d < docCount; d++) forward[d] = termsPerDoc[d] == 0 ? [] : new int[termsPerDoc[d]];
        Array.Clear(termsPerDoc);
        for (int t = 0; t < _postings.Count; t++)
            foreach (int d in _postings[t].Docs) forward[d][termsPerDoc[d]++] = t;
        _docTerms.AddRange(forward);
    }

    private T Read<T>(Func<T> f)
    {
        _lock.EnterReadLock();
        try
        {
            return f();
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }
}
