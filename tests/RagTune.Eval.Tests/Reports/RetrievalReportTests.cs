// nDCG and MAP beside recall and MRR: per item in the results, in the summaries, and shown by every report (the text
// table the CLI prints, report.json and report.html's retrieval section).
using System.Text.Json;
using RagTune.Eval.Metrics;
using RagTune.Eval.Reports;
using RagTune.Eval.Running;
using RagTune.Eval.Tests.Running;

namespace RagTune.Eval.Tests.Reports;

public sealed class RetrievalReportTests
{
    [Fact]
    public async Task Ndcg_and_map_are_scored_and_shown_in_every_report()
    {
        var ct = TestContext.Current.CancellationToken;
        // The scripted system shows each item's documents in order: the distractor first, the oracle at rank 2.
        var system = new ScriptedSystem("rag", it => "<ANSWER>: " + it.Answers[0]);
        var run = await new EvaluationRunner().RunAsync(EvaluationRunnerTests.Items(4), [system], ct);
        var m = run.Summaries.Single().Metrics;
        Assert.Equal(1.0, m[MetricNames.RetrievalRecall].Mean);
        Assert.Equal(0.5, m[MetricNames.RetrievalMrr].Mean);
        Assert.Equal(1 / Math.Log2(3), m[MetricNames.RetrievalNdcg].Mean, 12);
        Assert.Equal(0.5, m[MetricNames.RetrievalMap].Mean, 12);
        Assert.Equal(4, m[MetricNames.RetrievalNdcg].Count);

        string table = TextTableReport.Render(run);
        string header = table.Split('\n')[0];
        foreach (var name in MetricNames.Retrieval) Assert.Contains(name, header);
        Assert.Contains("0.631", table.Split('\n')[2]);

        using (var doc = JsonDocument.Parse(JsonReport.Render(run)))
        {
            var metrics = doc.RootElement.GetProperty("summaries")[0].GetProperty("metrics");
            Assert.Equal(0.5, metrics.GetProperty("retrieval_map").GetProperty("mean").GetDouble(), 12);
            Assert.Equal(1 / Math.Log2(3), metrics.GetProperty("retrieval_ndcg").GetProperty("mean").GetDouble(), 12);
            var item = doc.RootElement.GetProperty("results")[0].GetProperty("metrics");
            Assert.True(item.TryGetProperty("retrieval_ndcg", out _) && item.TryGetProperty("retrieval_map", out _));
        }

        string html = HtmlReport.Render(run);
        string retrieval = html[html.IndexOf("<h2 id=\"retrieval\">", StringComparison.Ordinal)..];
        foreach (var name in MetricNames.Retrieval) Assert.Contains($"data-metric=\"{name}\"", retrieval);
        Assert.Contains("<th>retrieval_ndcg</th>", html);
        Assert.Contains("<th>retrieval_map</th>", html);
    }
}
