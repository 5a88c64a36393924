// Retrieval metrics computed exactly as trec_eval 9.x does (names, tie-breaking, cut-offs, averaging), so numbers
// can be compared with published trec_eval output: P_k, recall_k, recip_rank (MRR), ndcg, ndcg_cut_k, map, Rprec, bpref.
namespace RagTune.Knowledge.Metrics;

/// <summary>Per-query measures and their averages over the evaluated queries (trec_eval's "all" rows).</summary>
public sealed record EvaluationReport(
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> PerQuery,
    IReadOnlyDictionary<string, double> Mean);

/// <remarks>
/// Measure names (trec_eval's): Precision@k = "P_k", Recall@k = "recall_k", MRR = "recip_rank" (averaged),
/// nDCG@k = "ndcg_cut_k" (gain = relevance level, log2 discount), nDCG over the whole ranking = "ndcg",
/// MAP = "map", R-precision = "Rprec", bpref = "bpref"; counts "num_ret", "num_rel", "num_rel_ret".
/// trec_eval conventions: results are ordered by score descending, ties by document id descending (strcmp order,
/// here ordinal), then cut to <see cref="MaxResultsPerQuery"/>; relevant means level ≥ 1; documents missing from the
/// qrels count as non-relevant (and are skipped by bpref); a judgment &lt; 0 means pooled but unjudged. Averages are
/// over the queries present in both the run and the qrels (trec_eval without -c); a query with no relevant document
/// scores 0 on every measure.
/// </remarks>
public sealed class RetrievalEvaluator
{
    private const int NonPool = -1, Unjudged = -2;
    private static readonly int[] TrecCutoffs = [5, 10, 15, 20, 30, 100, 200, 500, 1000];

    public RetrievalEvaluator(IReadOnlyList<int>? cutoffs = null, int maxResultsPerQuery = 1000)
    {
        Cutoffs = (cutoffs ?? TrecCutoffs).ToArray();
        if (Cutoffs.Any(k => k <= 0) || Cutoffs.Distinct().Count() != Cutoffs.Count)
            throw new ArgumentException("Cut-offs must be positive and distinct.", nameof(cutoffs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxResultsPerQuery);
        MaxResultsPerQuery = maxResultsPerQuery;
    }

    /// <summary>The k of P_k, recall_k and ndcg_cut_k (trec_eval's defaults unless given).</summary>
    public IReadOnlyList<int> Cutoffs { get; }

    /// <summary>trec_eval's -M: results beyond this rank are ignored.</summary>
    public int MaxResultsPerQuery { get; }

    /// <summary>The names of the measures produced, in trec_eval's spelling.</summary>
    public IEnumerable<string> MeasureNames =>
        new[] { "num_ret", "num_rel", "num_rel_ret", "map", "Rprec", "bpref", "recip_rank", "ndcg" }
            .Concat(Cutoffs.Select(k => $"P_{k}")).Concat(Cutoffs.Select(k => $"recall_{k}")).Concat(Cutoffs.Select(k => $"ndcg_cut_{k}"));

    public EvaluationReport Evaluate(TrecQrels qrels, TrecRun run)
    {
        ArgumentNullException.ThrowIfNull(qrels);
        ArgumentNullException.ThrowIfNull(run);
        var perQuery = new SortedDictionary<string, IReadOnlyDictionary<string, double>>(StringComparer.Ordinal);
        foreach (string q in run.QueryIds)
            if (qrels.Contains(q)) perQuery[q] = EvaluateQuery(run.For(q), qrels.For(q));
        var mean = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (string name in MeasureNames)
        {
            double sum = perQuery.Values.Sum(m => m[name]);
            // Counts are summed over queries (as trec_eval prints them); measures are averaged.
            mean[name] = name.StartsWith("num_", StringComparison.Ordinal) || perQuery.Count == 0 ? sum : sum / perQuery.Count;
        }
        return new EvaluationReport(perQuery, mean);
    }

    /// <summary>All measures for one query: its results (any order; scores decide) and its judgments.</summary>
    public IReadOnlyDictionary<string, double> EvaluateQuery(IEnumerable<(string DocId, double Score)> results, IReadOnlyDictionary<string, int> judgments)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(judgments);
        var ranked = results.ToList();
        ranked.Sort((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : string.CompareOrdinal(b.DocId, a.DocId));
        if (ranked.Count > MaxResultsPerQuery) ranked.RemoveRange(MaxResultsPerQuery, ranked.Count - MaxResultsPerQuery);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (doc, _) in ranked)
            if (!seen.Add(doc)) throw new KnowledgeException($"run: document '{doc}' is retrieved twice for one query; expected each document at most once.");

        // rel[i]: the judgment of the document at rank i+1 (NonPool when absent from the qrels, Unjudged when < 0).
        var rel = ranked.Select(r => judgments.TryGetValue(r.DocId, out int j) ? (j < 0 ? Unjudged : j) : NonPool).ToArray();
        int maxLevel = judgments.Values.DefaultIfEmpty(0).Max();
        var levelCounts = new long[Math.Max(maxLevel, 0) + 1];
        foreach (int j in judgments.Values)
            if (j >= 0) levelCounts[j]++;
        long numRel = levelCounts.Skip(1).Sum();

        var m = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["num_ret"] = rel.Length,
            ["num_rel"] = numRel,
            ["num_rel_ret"] = rel.Count(r => r >= 1),
            ["map"] = AveragePrecision(rel, numRel),
            ["Rprec"] = RPrecision(rel, numRel),
            ["bpref"] = Bpref(rel, numRel, levelCounts[0]),
            ["recip_rank"] = ReciprocalRank(rel),
            ["ndcg"] = Ndcg(rel, levelCounts, int.MaxValue),
        };
        foreach (int k in Cutoffs)
        {
            long relAtK = rel.Take(k).Count(r => r >= 1);
            m[$"P_{k}"] = (double)relAtK / k;
            m[$"recall_{k}"] = numRel == 0 ? 0 : (double)relAtK / numRel;
            m[$"ndcg_cut_{k}"] = Ndcg(rel, levelCounts, k);
        }
        return m;
    }

    private static double AveragePrecision(int[] rel, long numRel)
    {
        double sum = 0;
        long found = 0;
        for (int i = 0; i < rel.Length; i++)
            if (rel[i] >= 1) sum += (double)++found / (i + 1);
        return found == 0 ? 0 : sum / numRel;
    }

    private static double RPrecision(int[] rel, long numRel)
    {
        long look = Math.Min(rel.Length, numRel);
        return look == 0 ? 0 : (double)rel.Take((int)look).Count(r => r >= 1) / numRel;
    }

    private static double ReciprocalRank(int[] rel)
    {
        int i = Array.FindIndex(rel, r => r >= 1);
        return i < 0 ? 0 : 1.0 / (i + 1);
    }

    // bpref: for each retrieved relevant doc, 1 − (judged non-relevant docs above it, capped at R) / min(N, R).
    private static double Bpref(int[] rel, long numRel, long numNonRel)
    {
        double bpref = 0;
        long nonRelSoFar = 0;
        foreach (int r in rel)
        {
            if (r is NonPool or Unjudged) continue;
            if (r == 0) nonRelSoFar++;
            else bpref += nonRelSoFar > 0 ? 1.0 - (double)Math.Min(nonRelSoFar, numRel) / Math.Min(numNonRel, numRel) : 1.0;
        }
        return numRel == 0 ? bpref : bpref / numRel;
    }

    // nDCG with gain = relevance level and discount log2(rank + 1), over the first k results and the ideal first k.
    private static double Ndcg(int[] rel, long[] levelCounts, int k)
    {
        double dcg = 0;
        for (int i = 0; i < rel.Length && i < k; i++)
            if (rel[i] > 0) dcg += rel[i] / Math.Log2(i + 2);
        double ideal = 0;
        int rank = 0;
        for (int level = levelCounts.Length - 1; level > 0 && rank < k; level--)
            for (long c = 0; c < levelCounts[level] && rank < k; c++, rank++)
                ideal += level / Math.Log2(rank + 2);
        return ideal > 0 ? dcg / ideal : 0;
    }
}
