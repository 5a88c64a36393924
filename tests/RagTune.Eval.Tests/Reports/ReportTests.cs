// Reports: the HTML parses as XML, has one bar per system per metric chart, escapes hostile answers, keeps Chinese text;
// the text table and JSON file carry the same numbers; the SVG helpers are well-formed.
using System.Xml.Linq;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Reports;
using RagTune.Eval.Running;
using RagTune.Eval.Tests.Running;

namespace RagTune.Eval.Tests.Reports;

public sealed class ReportTests
{
    private static readonly XNamespace Xhtml = "http://www.w3.org/1999/xhtml";
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static async Task<EvalRun> SampleRunAsync()
    {
        var items = EvaluationRunnerTests.Items(4);
        var good = new ScriptedSystem("微调模型 + RAG", it => $"依据 ##begin_quote##{it.Documents[1].Text}##end_quote## 与 ##begin_quote##编造的引文##end_quote## <ANSWER>: {it.Answers[0]}");
        var evil = new ScriptedSystem("base <closed-book>", _ => "<script>alert('x')</script> & \u0001 done");
        return await new EvaluationRunner(new EvaluationRunnerOptions { Title = "对比 & report" })
            .RunAsync(items, [good, evil], TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task HtmlIsWellFormedXhtmlWithChartsAndEscaping()
    {
        var run = await SampleRunAsync();
        var html = HtmlReport.Render(run, new HtmlReportOptions
        {
            Note = "Synthetic <demo>",
            Figures = [new ReportFigure("loss", SvgLineChart.Render("loss", [new LineSeries("train", [(0, 2.0), (1, 1.5), (2, 1.1)])]))],
        });
        var doc = XDocument.Parse(html);
        Assert.Equal(Xhtml + "html", doc.Root!.Name);
        Assert.Equal("utf-8", doc.Descendants(Xhtml + "meta").First().Attribute("charset")!.Value);
        Assert.DoesNotContain(doc.Descendants(), e => e.Name.LocalName is "script" or "link" or "img" or "iframe");
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/", ""));

        // One chart per metric present in the summaries (retrieval ones in their own section), one bar per system.
        var metricFigures = doc.Descendants(Xhtml + "figure").Where(f => f.Attribute("data-metric") is not null).ToList();
        var metricNames = run.Summaries.SelectMany(s => s.Metrics.Keys).Distinct().ToList();
        Assert.Equal(metricNames.Count, metricFigures.Count);
        Assert.Contains(metricFigures, f => f.Attribute("data-metric")!.Value == MetricNames.RetrievalRecall);
        foreach (var f in metricFigures)
        {
            var bars = f.Descendants(Svg + "rect").Where(r => r.Attribute("class")?.Value == "bar").ToList();
            Assert.Equal(run.Summaries.Count(s => s.Metrics.ContainsKey(f.Attribute("data-metric")!.Value)), bars.Count);
        }
        Assert.Single(doc.Descendants(Svg + "polyline"));
        // A system has one colour in every chart.
        var fills = metricFigures.SelectMany(f => f.Descendants(Svg + "rect")).Where(r => r.Attribute("class")?.Value == "bar")
            .GroupBy(r => r.Element(Svg + "title")!.Value[..r.Element(Svg + "title")!.Value.LastIndexOf(": ", StringComparison.Ordinal)])
            .ToDictionary(g => g.Key, g => g.Select(r => r.Attribute("fill")!.Value).Distinct().Count());
        Assert.Equal(run.Systems.Count, fills.Count);
        Assert.All(fills.Values, n => Assert.Equal(1, n));

        // Hostile answer text is text, not markup; the control character is dropped.
        var text = doc.Root.Value;
        Assert.Contains("<script>alert('x')</script> & ", text);
        Assert.Contains("Synthetic <demo>", text);
        Assert.DoesNotContain("\u0001", html, StringComparison.Ordinal);
        // Chinese survives, and the question list has every item.
        Assert.Contains("微调模型 + RAG", text);
        Assert.Contains("事实1是什么？", text);
        Assert.Equal(run.Items.Count, doc.Descendants(Xhtml + "details").Count(d => d.Attribute("class")?.Value == "q"));
        // Oracle documents are marked; citations highlighted as found / not found.
        Assert.Contains(doc.Descendants(Xhtml + "div"), d => d.Attribute("class")?.Value == "doc oracle");
        var marks = doc.Descendants(Xhtml + "mark").ToList();
        Assert.Equal(run.Items.Count, marks.Count(m => m.Attribute("class")!.Value == "cite-ok"));
        Assert.Equal(run.Items.Count, marks.Count(m => m.Attribute("class")!.Value == "cite-bad"));
        Assert.Contains("font-family:system-ui", html);
        Assert.Contains("PingFang SC", html);
    }

    [Fact]
    public async Task TextTableAndJsonCarryTheSummaries()
    {
        var run = await SampleRunAsync();
        var table = TextTableReport.Render(run);
        var rows = table.TrimEnd('\n').Split('\n');
        Assert.Equal(2 + run.Summaries.Count, rows.Length);
        Assert.StartsWith("system", rows[0]);
        Assert.Contains("微调模型 + RAG", rows[2]);
        // CJK counts two columns: every row has the same display width.
        Assert.Single(rows.Select(TextTableReport.DisplayWidth).Distinct());
        var em = run.Summaries[0].Metrics[MetricNames.ExactMatch];
        Assert.Contains($"{em.Mean:0.000} [{em.CiLow:0.000},{em.CiHigh:0.000}]", rows[2]);

        var md = TextTableReport.Render(run, [MetricNames.ExactMatch, MetricNames.F1], markdown: true).TrimEnd('\n').Split('\n');
        Assert.Equal("| system | n | errors | em | f1 | latency_ms |", md[0]);
        Assert.Equal("|---|---:|---:|---:|---:|---:|", md[1]);
        Assert.StartsWith("| 微调模型 + RAG | 4 | 0 | ", md[2]);
        Assert.Equal(2 + run.Summaries.Count, md.Length);

        var path = Path.Combine(Path.GetTempPath(), $"ragtune-report-{Guid.NewGuid():N}.json");
        try
        {
            await JsonReport.WriteAsync(run, path, TestContext.Current.CancellationToken);
            var json = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
            Assert.Contains("\"summaries\"", json);
            Assert.Contains("微调模型", json); // not \u-escaped
            var back = await JsonReport.ReadAsync(path, TestContext.Current.CancellationToken);
            Assert.Equal(run.Systems, back.Systems);
            Assert.Equal(run.Results.Count, back.Results.Count);
            Assert.Equal(em.Mean, back.Summaries[0].Metrics[MetricNames.ExactMatch].Mean);
            Assert.Equal(run.Items[1].Documents[1].IsOracle, back.Items[1].Documents[1].IsOracle);
            Assert.Equal(HtmlReport.Render(run), HtmlReport.Render(back));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SvgHelpersAreWellFormedAndScaled()
    {
        var bar = XElement.Parse(SvgBarChart.Render("F1 <all>", [new BarValue("a", 0.5, 0.4, 0.6), new BarValue("b", 1.0)], new BarChartOptions { MaxValue = 1, Width = 520, LabelWidth = 170 }));
        var rects = bar.Elements(Svg + "rect").ToList();
        Assert.Equal(2, rects.Count);
        double w0 = double.Parse(rects[0].Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        double w1 = double.Parse(rects[1].Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(0.5, w0 / w1, 3);
        Assert.Single(bar.Elements(Svg + "path")); // one CI whisker
        Assert.Equal("F1 <all>", bar.Element(Svg + "title")!.Value);

        var line = XElement.Parse(SvgLineChart.Render("loss", [new LineSeries("a", [(0, 3), (10, 1)]), new LineSeries("b", [(0, 2), (5, double.NaN), (10, 0.5)])],
            new LineChartOptions { XLabel = "step", YLabel = "loss" }));
        var polylines = line.Elements(Svg + "polyline").ToList();
        Assert.Equal(2, polylines.Count);
        Assert.Equal(2, polylines[1].Attribute("points")!.Value.Split(' ').Length); // NaN point skipped
        Assert.Equal(0.5, SvgBarChart.NiceCeiling(0.43));
        Assert.Equal(5, SvgBarChart.NiceCeiling(5));
    }
}
