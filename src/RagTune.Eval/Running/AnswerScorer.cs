// Computes the per-item lexical metrics (EM/F1 both ways, ROUGE-L, containment, citations, retrieval recall/MRR/nDCG/MAP).
using RagTune.Knowledge.Rag;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Systems;
using RagTune.Knowledge.Metrics;

namespace RagTune.Eval.Running;

public static class AnswerScorer
{
    /// <summary>Every metric name <see cref="Score"/> can produce (not all apply to every item).</summary>
    public static readonly IReadOnlyList<string> Produces =
    [
        MetricNames.ExactMatch, MetricNames.F1, MetricNames.SquadExactMatch, MetricNames.SquadF1, MetricNames.CmrcExactMatch,
        MetricNames.CmrcF1, MetricNames.RougeL, MetricNames.Contains, MetricNames.ContainsLcs, MetricNames.CitationSupport,
        MetricNames.RetrievalRecall, MetricNames.RetrievalMrr, MetricNames.RetrievalNdcg, MetricNames.RetrievalMap,
    ];

    /// <summary>Scores the final answer (after <paramref name="format"/>'s answer marker) and its quotes (between its quote
    /// markers); <paramref name="format"/> defaults to <see cref="RagPromptFormat.Default"/>.</summary>
    public static (Dictionary<string, double> Metrics, CitationResult Citations) Score(EvalItem item, SystemAnswer answer, RagPromptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(answer);
        format ??= RagPromptFormat.Default;
        var final = format.FinalAnswer(answer.Text);
        var refs = item.Answers;
        var m = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            [MetricNames.SquadExactMatch] = SquadMetric.ExactMatch(final, refs),
            [MetricNames.SquadF1] = SquadMetric.F1(final, refs),
            [MetricNames.CmrcExactMatch] = CmrcMetric.ExactMatch(final, refs),
            [MetricNames.CmrcF1] = CmrcMetric.F1(final, refs),
            [MetricNames.RougeL] = RougeL.Score(final, refs),
        };
        bool chinese = refs.Any(PyText.ContainsCjk);
        m[MetricNames.ExactMatch] = chinese ? m[MetricNames.CmrcExactMatch] : m[MetricNames.SquadExactMatch];
        m[MetricNames.F1] = chinese ? m[MetricNames.CmrcF1] : m[MetricNames.SquadF1];

        // The source passages: the item's documents, or what the system retrieved when the item has none.
        var sources = item.Documents.Count > 0 ? item.Documents.Select(d => d.Text).ToList()
            : answer.Documents?.Select(d => d.Text).ToList() ?? [];
        if (sources.Count > 0)
        {
            m[MetricNames.Contains] = Containment.Contains(final, sources);
            m[MetricNames.ContainsLcs] = Containment.LcsRatio(final, sources);
        }

        // Quotes are checked against what the model was shown (its documents), else the item's documents.
        var shown = answer.Documents?.Select(d => d.Text) ?? item.Documents.Select(d => d.Text);
        var citations = CitationCheck.Check(answer.Text, shown, format);
        if (citations.Quotes > 0) m[MetricNames.CitationSupport] = (double)citations.Supported / citations.Quotes;

        if (answer.Documents is not null && item.OracleIds.Count > 0)
        {
            var (recall, mrr, ndcg, map) = Retrieval(item, answer.Documents);
            m[MetricNames.RetrievalRecall] = recall;
            m[MetricNames.RetrievalMrr] = mrr;
            m[MetricNames.RetrievalNdcg] = ndcg;
            m[MetricNames.RetrievalMap] = map;
        }
        return (m, citations);
    }

    /// <summary>Recall = oracle documents retrieved / oracle documents; MRR = 1 / rank of the first oracle (0 if none);
    /// nDCG over the whole list (binary gain, log2 discount, ideal = every oracle first); MAP's per-query term, average
    /// precision (the mean over items is MAP).
    /// A document counts as the oracle when the system flags it, its id is an oracle id, or its text equals an oracle's.</summary>
    /// <remarks>
    /// Only the matching is Eval's: the retrieved list becomes a ranked run of oracle ids (a repeat of an oracle already
    /// seen is dropped, as trec_eval counts a document once) and the measures are Knowledge's trec_eval ones, recall over
    /// the whole list (num_rel_ret / num_rel), recip_rank, ndcg and map. An oracle the system flags that is not among the item's
    /// oracle ids joins the relevant set, so recall never exceeds 1.
    /// </remarks>
    public static (double Recall, double Mrr, double Ndcg, double Map) Retrieval(EvalItem item, IReadOnlyList<RetrievedDocument> docs)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(docs);
        var oracleIds = new HashSet<string>(item.OracleIds, StringComparer.Ordinal);
        var oracleTexts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in item.Documents.Where(d => d.IsOracle)) oracleTexts.TryAdd(CitationCheck.StripWhitespace(d.Text), d.Id);
        var judgments = item.OracleIds.Distinct(StringComparer.Ordinal).ToDictionary(id => id, _ => 1, StringComparer.Ordinal);
        var run = new List<(string DocId, double Score)>(docs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < docs.Count; i++)
        {
            var d = docs[i];
            string? oracle = oracleIds.Contains(d.Id) ? d.Id
                : oracleTexts.TryGetValue(CitationCheck.StripWhitespace(d.Text), out var tid) ? tid
                : d.IsOracle == true ? d.Id : null;
            // Scores only carry the system's order; a non-oracle gets a name no judgment can have, so repeats stay apart.
            double score = docs.Count - i;
            if (oracle is null) run.Add(($"\0retrieved#{i}", score));
            else if (seen.Add(oracle))
            {
                judgments.TryAdd(oracle, 1);
                run.Add((oracle, score));
            }
        }
        if (judgments.Count == 0) return (0, 0, 0, 0);
        var measures = new RetrievalEvaluator([1], Math.Max(1, run.Count)).EvaluateQuery(run, judgments);
        return (measures["num_rel_ret"] / measures["num_rel"], measures["recip_rank"], measures["ndcg"], measures["map"]);
    }
}
