// The self-contained HTML report (XHTML-compatible markup, inline CSS and SVG, no scripts, no network): summary table,
// a bar chart per metric, retrieval recall/MRR/nDCG/MAP, and a per-question view with documents, answers, citations and scores.
using RagTune.Knowledge.Rag;
using System.Globalization;
using System.Text;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;

namespace RagTune.Eval.Reports;

public static class HtmlReport
{
    private const string Css =
        "body{font-family:" + Markup.FontStack + ";" +
        "margin:2em auto;max-width:1200px;padding:0 1em;color:#222;line-height:1.5}" +
        "table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px;text-align:right;vertical-align:top}" +
        "th:first-child,td:first-child{text-align:left}.ci{color:#777;font-size:.85em}.errors{display:block;color:#b00;font-size:.85em}" +
        ".charts{display:flex;flex-wrap:wrap;gap:12px}.charts figure{margin:0;border:1px solid #eee;padding:6px}" +
        "details.q{border:1px solid #ddd;border-radius:4px;margin:6px 0;padding:4px 10px}details.q>summary{cursor:pointer;font-weight:600}" +
        ".doc{white-space:pre-wrap;font-size:.9em;background:#fafafa;border-left:3px solid #ccc;padding:4px 8px;margin:4px 0}" +
        ".doc.oracle{border-left-color:#009E73;background:#f0fbf6}.badge{display:inline-block;font-size:.75em;padding:0 6px;border-radius:8px;background:#009E73;color:#fff;margin-left:6px}" +
        ".answer{white-space:pre-wrap;background:#f6f8fc;padding:6px 8px;margin:4px 0}.error{color:#b00}" +
        "mark.cite-ok{background:#d6f5e3}mark.cite-bad{background:#fbd3d3}.muted{color:#777;font-size:.9em}.sys{margin:10px 0 14px 0}" +
        ".f1{display:inline-block;color:#111;font-size:.75em;font-weight:normal;padding:0 5px;border:1px solid;border-radius:6px;margin-left:4px}" +
        ".wide{overflow-x:auto}td{white-space:nowrap}.ci{display:block}";

    public static string Render(EvalRun run, HtmlReportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        options ??= new HtmlReportOptions();
        var sb = new StringBuilder();
        // lang picks the Han glyph forms (zh vs ja) when the questions are Chinese.
        var lang = run.Items.Any(i => PyText.ContainsCjk(i.Question)) ? "zh-CN" : "en";
        sb.Append($"<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\"/>\n");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n");
        sb.Append($"<title>{Markup.Escape(run.Title)}</title>\n<style>{Css}</style>\n</head>\n<body>\n");
        sb.Append($"<h1>{Markup.Escape(run.Title)}</h1>\n");
        sb.Append($"<p class=\"muted\">{run.Items.Count} questions · {run.Systems.Count} systems · seed {run.Seed} · {Markup.Escape(run.CreatedAt.ToString("u", CultureInfo.InvariantCulture))}</p>\n");
        if (!string.IsNullOrEmpty(options.Note)) sb.Append($"<p class=\"note\">{Markup.Escape(options.Note)}</p>\n");

        var metrics = TextTableReport.MetricColumns(run.Summaries);
        AppendSummaryTable(sb, run, metrics);

        sb.Append("<h2 id=\"charts\">Metrics by system</h2>\n<div class=\"charts\">\n");
        foreach (var m in metrics.Where(m => !MetricNames.Retrieval.Contains(m)))
            AppendMetricChart(sb, run, m);
        sb.Append("</div>\n");

        var retrieval = metrics.Where(MetricNames.Retrieval.Contains).ToList();
        if (retrieval.Count > 0)
        {
            sb.Append("<h2 id=\"retrieval\">Retrieval</h2>\n<p class=\"muted\">Recall: share of oracle documents among those the system put in front of the model; "
                + "MRR: 1 / rank of the first oracle; nDCG: discounted gain of the oracles' ranks against all oracles first; MAP: mean average precision.</p>\n<div class=\"charts\">\n");
            foreach (var m in retrieval) AppendMetricChart(sb, run, m);
            sb.Append("</div>\n");
        }

        if (options.Figures.Count > 0)
        {
            sb.Append("<h2 id=\"figures\">Figures</h2>\n<div class=\"charts\">\n");
            foreach (var f in options.Figures)
                sb.Append($"<figure>{f.Svg}<figcaption>{Markup.Escape(f.Caption)}</figcaption></figure>\n");
            sb.Append("</div>\n");
        }

        AppendQuestions(sb, run, options);
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    public static async Task WriteAsync(EvalRun run, string path, HtmlReportOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        await ReportFile.WriteAtomicAsync(path, Render(run, options), cancellationToken).ConfigureAwait(false);
    }

    private static void AppendSummaryTable(StringBuilder sb, EvalRun run, List<string> metrics)
    {
        sb.Append("<h2 id=\"summary\">Summary</h2>\n<div class=\"wide\"><table class=\"summary\">\n<thead><tr><th>system</th><th>n</th><th>errors</th>");
        foreach (var m in metrics) sb.Append($"<th>{Markup.Escape(m)}</th>");
        sb.Append("<th>latency (ms)</th></tr></thead>\n<tbody>\n");
        foreach (var s in run.Summaries)
        {
            sb.Append($"<tr><td>{Markup.Escape(s.System)}</td><td>{s.Items}</td><td>{s.Errors}</td>");
            foreach (var m in metrics)
            {
                if (!s.Metrics.TryGetValue(m, out var ms)) { sb.Append("<td>–</td>"); continue; }
                sb.Append($"<td title=\"n = {ms.Count}\">{(ms.Count == 0 ? "–" : Markup.Fmt(ms.Mean))}");
                if (ms.CiLow is double lo && ms.CiHigh is double hi) sb.Append($"<span class=\"ci\">[{Markup.Fmt(lo)}, {Markup.Fmt(hi)}]</span>");
                if (ms.Errors > 0) sb.Append($"<span class=\"errors\">{Markup.Escape(Markup.ErrorNote(ms.Errors).Trim())}</span>");
                sb.Append("</td>");
            }
            sb.Append($"<td>{Markup.Fmt(s.MeanLatencyMs, "0")}</td></tr>\n");
        }
        sb.Append("</tbody>\n</table></div>\n<p class=\"muted\">Brackets: 95 % bootstrap confidence interval. Items whose call failed (after its retries) are left out of the means and counted beside them; a rerun asks them again. Definitions: docs/metrics.md.</p>\n");
    }

    private static void AppendMetricChart(StringBuilder sb, EvalRun run, string metric)
    {
        var bars = run.Summaries.Where(s => s.Metrics.TryGetValue(metric, out var m) && m.Count > 0)
            .Select(s =>
            {
                // A system keeps its colour across charts.
                var ms = s.Metrics[metric];
                return new BarValue(s.System, ms.Mean, ms.CiLow, ms.CiHigh, SystemColor(run, s.System));
            })
            .ToList();
        if (bars.Count == 0) return;
        var svg = SvgBarChart.Render(metric, bars, new BarChartOptions { MaxValue = MetricNames.MaxValue(metric) });
        sb.Append($"<figure class=\"metric\" data-metric=\"{Markup.Escape(metric)}\">{svg}</figure>\n");
    }

    private static string SystemColor(EvalRun run, string system)
    {
        int i = run.Systems.ToList().IndexOf(system);
        return Markup.Color(i < 0 ? run.Systems.Count : i);
    }

    private static void AppendQuestions(StringBuilder sb, EvalRun run, HtmlReportOptions options)
    {
        var byKey = run.Results.ToDictionary(r => (r.System, r.ItemId));
        var items = options.MaxQuestions is int max ? run.Items.Take(max).ToList() : run.Items.ToList();
        sb.Append($"<h2 id=\"questions\">Questions ({items.Count} of {run.Items.Count})</h2>\n");
        int n = 0;
        foreach (var item in items)
        {
            n++;
            sb.Append($"<details class=\"q\" id=\"q-{n}\"><summary>{n}. {Markup.Escape(item.Question)}");
            // F1 per system at a glance, so a reader can spot the questions where systems disagree without opening each.
            for (int si = 0; si < run.Systems.Count; si++)
                if (byKey.TryGetValue((run.Systems[si], item.Id), out var sr) && sr.Metrics.TryGetValue(MetricNames.F1, out var f1))
                {
                    // The system's colour, filled in proportion to F1 (#RRGGBBAA).
                    var c = Markup.Color(si);
                    var alpha = ((int)Math.Round(255 * Math.Clamp(f1, 0, 1))).ToString("x2", CultureInfo.InvariantCulture);
                    sb.Append($" <span class=\"f1\" style=\"border-color:{c};background:{c}{alpha}\" title=\"{Markup.Escape(run.Systems[si])}: F1 {Markup.Fmt(f1)}\">{Markup.Fmt(f1, "0.00")}</span>");
                }
            sb.Append("</summary>\n");
            sb.Append("<p><b>Gold:</b> ").Append(string.Join(" | ", item.Answers.Select(Markup.Escape))).Append("</p>\n");
            if (item.Documents.Count > 0)
            {
                sb.Append("<p><b>Documents</b></p>\n");
                AppendDocuments(sb, item.Documents.Select(d => (d.Title is null ? d.Id : $"{d.Id} · {d.Title}", d.Text, d.IsOracle, (double?)null)));
            }
            foreach (var system in run.Systems)
            {
                if (!byKey.TryGetValue((system, item.Id), out var r)) continue;
                AppendSystemAnswer(sb, item, r, options.Format);
            }
            sb.Append("</details>\n");
        }
    }

    private static void AppendSystemAnswer(StringBuilder sb, EvalItem item, ItemResult r, RagPromptFormat format)
    {
        sb.Append($"<div class=\"sys\"><h4>{Markup.Escape(r.System)} <span class=\"muted\">{Markup.Fmt(r.LatencyMs, "0")} ms</span></h4>\n");
        if (r.Error is not null) sb.Append($"<p class=\"error\">Error: {Markup.Escape(r.Error)}</p>\n");
        foreach (var w in r.Warnings ?? []) sb.Append($"<p class=\"error\">Warning: {Markup.Escape(w)}</p>\n");
        sb.Append($"<div class=\"answer\">{HighlightCitations(r.Answer, r.Citations?.QuoteSupported, format)}</div>\n");
        if (r.FinalAnswer != r.Answer.Trim()) sb.Append($"<p><b>Final answer:</b> {Markup.Escape(r.FinalAnswer)}</p>\n");
        if (r.Citations is { Quotes: > 0 } c)
            sb.Append($"<p class=\"muted\">Citations: {c.Supported} of {c.Quotes} found in the documents.</p>\n");
        sb.Append("<div class=\"wide\"><table class=\"scores\"><tr>");
        var names = r.Metrics.Keys.OrderBy(Aggregator.SortKey).ThenBy(k => k, StringComparer.Ordinal).ToList();
        foreach (var k in names) sb.Append($"<th>{Markup.Escape(k)}</th>");
        sb.Append("</tr><tr>");
        foreach (var k in names) sb.Append($"<td>{Markup.Fmt(r.Metrics[k])}</td>");
        sb.Append("</tr></table></div>\n");
        if (r.Judge is { Count: > 0 })
            foreach (var (name, v) in r.Judge)
                sb.Append($"<p class=\"muted\"><b>{Markup.Escape(name)}</b>: {(v.Score is int s ? s.ToString(CultureInfo.InvariantCulture) : "failed")} — {Markup.Escape(v.Reasoning ?? v.Error ?? "")}</p>\n");
        if (r.Documents is { Count: > 0 } docs)
        {
            var oracleIds = new HashSet<string>(item.OracleIds, StringComparer.Ordinal);
            sb.Append($"<details><summary class=\"muted\">{docs.Count} documents shown to the model</summary>\n");
            AppendDocuments(sb, docs.Select(d => (d.Id, d.Text, d.IsOracle == true || oracleIds.Contains(d.Id), d.Score)));
            sb.Append("</details>\n");
        }
        sb.Append("</div>\n");
    }

    private static void AppendDocuments(StringBuilder sb, IEnumerable<(string Id, string Text, bool Oracle, double? Score)> docs)
    {
        foreach (var (id, text, oracle, score) in docs)
        {
            sb.Append($"<div class=\"doc{(oracle ? " oracle" : "")}\"><span class=\"muted\">{Markup.Escape(id)}");
            if (score is double s) sb.Append($" · {Markup.Fmt(s)}");
            sb.Append("</span>");
            if (oracle) sb.Append("<span class=\"badge\">oracle</span>");
            sb.Append('\n').Append(Markup.Escape(text)).Append("</div>\n");
        }
    }

    /// <summary>Escapes the answer and wraps each quote (between <paramref name="format"/>'s markers) in a mark: green when the
    /// quote was found in the documents, red when not (flags in quote order, as CitationCheck produced them).</summary>
    internal static string HighlightCitations(string answer, IReadOnlyList<bool>? supported, RagPromptFormat format)
    {
        string begin = format.QuoteBegin, end = format.QuoteEnd;
        var sb = new StringBuilder();
        int pos = 0, q = 0;
        while (true)
        {
            int b = answer.IndexOf(begin, pos, StringComparison.Ordinal);
            int e = b < 0 ? -1 : answer.IndexOf(end, b + begin.Length, StringComparison.Ordinal);
            if (e < 0) break;
            sb.Append(Markup.Escape(answer[pos..b]));
            bool ok = supported is not null && q < supported.Count && supported[q];
            var quote = answer[(b + begin.Length)..e];
            sb.Append($"<mark class=\"{(ok ? "cite-ok" : "cite-bad")}\" title=\"{(ok ? "found in the documents" : "not found in the documents")}\">{Markup.Escape(quote)}</mark>");
            pos = e + end.Length;
            q++;
        }
        sb.Append(Markup.Escape(answer[pos..]));
        return sb.ToString();
    }
}
