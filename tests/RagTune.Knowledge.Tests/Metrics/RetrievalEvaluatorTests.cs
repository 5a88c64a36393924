// Retrieval metrics against trec_eval's own expected output (TestData/trec_eval, NIST, public domain), to 4 decimals,
// per query (out.test.aq) and averaged (out.test, out.test.a), plus hand-computed small cases.
using System.Globalization;
using RagTune.Knowledge.Metrics;
using Xunit;

namespace RagTune.Knowledge.Tests.Metrics;

public sealed class RetrievalEvaluatorTests
{
    private static string Data(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "trec_eval", name);

    private static EvaluationReport TrecReport() =>
        new RetrievalEvaluator().Evaluate(TrecQrels.Load(Data("qrels.test")), TrecRun.Load(Data("results.test")));

    // Compares every line of an expected trec_eval output whose measure we implement; returns how many were compared.
    private static int CompareWith(string expectedFile, EvaluationReport report)
    {
        var implemented = new RetrievalEvaluator().MeasureNames.ToHashSet();
        var mismatches = new List<string>();
        int compared = 0;
        foreach (string line in File.ReadLines(Data(expectedFile)))
        {
            var f = line.Split('\t');
            string name = f[0].Trim(), qid = f[1].Trim();
            if (!implemented.Contains(name)) continue;
            double expected = double.Parse(f[2], CultureInfo.InvariantCulture);
            double actual = qid == "all" ? report.Mean[name] : report.PerQuery[qid][name];
            string got = name.StartsWith("num_", StringComparison.Ordinal) ? actual.ToString("F0", CultureInfo.InvariantCulture) : actual.ToString("F4", CultureInfo.InvariantCulture);
            if (got != f[2].Trim()) mismatches.Add($"{name} {qid}: trec_eval {f[2].Trim()}, ours {got} ({actual:R})");
            compared++;
        }
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        return compared;
    }

    [Fact]
    public void Per_query_values_match_trec_eval_q_output()
    {
        var report = TrecReport();
        Assert.Equal(["301", "302", "303"], report.PerQuery.Keys);
        // 3 counts + 5 single measures + 27 cut-off measures, for 3 queries and "all".
        Assert.Equal(35 * 4, CompareWith("out.test.aq", report));
    }

    [Fact]
    public void Averages_match_trec_eval_default_and_all_trec_output()
    {
        var report = TrecReport();
        Assert.True(CompareWith("out.test", report) >= 15);
        Assert.Equal(35, CompareWith("out.test.a", report));
    }

    [Fact]
    public void Hand_computed_single_query()
    {
        // Ranking d1 (rel 2), d2 (non-rel), d3 (rel 1), d4 (unjudged); d5 (rel 1) never retrieved. R = 3.
        var judgments = new Dictionary<string, int> { ["d1"] = 2, ["d2"] = 0, ["d3"] = 1, ["d5"] = 1 };
        var m = new RetrievalEvaluator([1, 3]).EvaluateQuery([("d1", 4), ("d2", 3), ("d3", 2), ("d4", 1)], judgments);
        Assert.Equal(1.0, m["recip_rank"]);
        Assert.Equal(1.0, m["P_1"]);
        Assert.Equal(2.0 / 3, m["P_3"], 12);
        Assert.Equal(2.0 / 3, m["recall_3"], 12);
        Assert.Equal((1.0 + 2.0 / 3) / 3, m["map"], 12);
        Assert.Equal(2.0 / 3, m["Rprec"], 12);
        double dcg3 = 2 + 1 / Math.Log2(4), idcg3 = 2 + 1 / Math.Log2(3) + 1 / Math.Log2(4);
        Assert.Equal(dcg3 / idcg3, m["ndcg_cut_3"], 12);
        Assert.Equal(1.0, m["ndcg_cut_1"], 12);
        // bpref: d1 has no non-relevant above (1), d3 has 1 of min(N=1, R=3) above (0): (1 + 0) / 3.
        Assert.Equal(1.0 / 3, m["bpref"], 12);
    }

    [Fact]
    public void Ties_are_broken_by_document_id_descending_as_trec_eval_does()
    {
        var judgments = new Dictionary<string, int> { ["a"] = 1 };
        var m = new RetrievalEvaluator([1]).EvaluateQuery([("a", 1.0), ("b", 1.0)], judgments);
        Assert.Equal(0.5, m["recip_rank"]);
    }

    [Fact]
    public void Query_without_relevant_documents_scores_zero_and_counts_in_the_mean()
    {
        var qrels = new TrecQrels();
        qrels.Add("q1", "a", 1);
        qrels.Add("q2", "b", 0);
        var run = new TrecRun();
        run.Add("q1", "a", 1);
        run.Add("q2", "b", 1);
        run.Add("q3", "c", 1); // not in the qrels: not evaluated
        var report = new RetrievalEvaluator([5]).Evaluate(qrels, run);
        Assert.Equal(2, report.PerQuery.Count);
        Assert.Equal(0.0, report.PerQuery["q2"]["map"]);
        Assert.Equal(0.5, report.Mean["recip_rank"]);
    }

    [Fact]
    public void Bad_lines_and_duplicates_are_clear_errors()
    {
        string path = Path.Combine(Path.GetTempPath(), $"ragtune-qrels-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, "1 0 a 1\n1 0 b x\n");
        try
        {
            var ex = Assert.Throws<KnowledgeException>(() => TrecQrels.Load(path));
            Assert.Contains("line 2", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<KnowledgeException>(() => new RetrievalEvaluator().EvaluateQuery([("a", 1), ("a", 2)], new Dictionary<string, int>()));
    }
}
