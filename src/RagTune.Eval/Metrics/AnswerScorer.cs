// Computes the per-item lexical metrics (EM/F1 both ways, ROUGE-L, containment, citations, retrieval recall/MRR).
using RagTune.Eval.Data;
using RagTune.Eval.Systems;

namespace RagTune.Eval.Metrics;

public static class AnswerScorer
{
    /// <summary>Every metric name <see cref="Score"/> can produce (not all apply to every item).</summary>
    public static readonly IReadOnlyList<string> Produces =
    [
        MetricNames.ExactMatch, MetricNames.F1, MetricNames.SquadExactMatch, MetricNames.SquadF1, MetricNames.CmrcExactMatch,
        MetricNames.CmrcF1, MetricNames.RougeL, MetricNames.Contains, MetricNames.ContainsLcs, MetricNames.CitationSupport,
        MetricNames.RetrievalRecall, MetricNames.RetrievalMrr,
    ];

    public static (Dictionary<string, double> Metrics, CitationResult Citations) Score(EvalItem item, SystemAnswer answer)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(answer);
        var final = RaftAnswer.FinalAnswer(answer.Text);
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
        var citations = CitationCheck.Check(answer.Text, shown);
        if (citations.Quotes > 0) m[MetricNames.CitationSupport] = (double)citations.Supported / citations.Quotes;

        if (answer.Documents is not null && item.OracleIds.Count > 0)
        {
            var (recall, mrr) = Retrieval(item, answer.Documents);
            m[MetricNames.RetrievalRecall] = recall;
            m[MetricNames.RetrievalMrr] = mrr;
        }
        return (m, citations);
    }

    /// <summary>Recall = oracle documents retrieved / oracle documents; MRR = 1 / rank of the first oracle (0 if none).
    /// A document counts as the oracle when the system flags it, its id is an oracle id, or its text equals an oracle's.</summary>
    public static (double Recall, double Mrr) Retrieval(EvalItem item, IReadOnlyList<RetrievedDocument> docs)
    {
        var oracleIds = new HashSet<string>(item.OracleIds, StringComparer.Ordinal);
        var oracleTexts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in item.Documents.Where(d => d.IsOracle)) oracleTexts.TryAdd(CitationCheck.StripWhitespace(d.Text), d.Id);
        var found = new HashSet<string>(StringComparer.Ordinal);
        double mrr = 0;
        for (int i = 0; i < docs.Count; i++)
        {
            var d = docs[i];
            string? oracle = oracleIds.Contains(d.Id) ? d.Id
                : oracleTexts.TryGetValue(CitationCheck.StripWhitespace(d.Text), out var tid) ? tid
                : d.IsOracle == true ? d.Id : null;
            if (oracle is null) continue;
            if (mrr == 0) mrr = 1.0 / (i + 1);
            found.Add(oracle);
        }
        return (Math.Min(1.0, (double)found.Count / Math.Max(oracleIds.Count, 1)), mrr);
    }
}
