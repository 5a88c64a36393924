// The run summary as a plain-text table (one row per system, one column per metric), aligned for CJK system names, or
// as a Markdown table (for RESULTS.md files); the CLI prints it as is or re-renders the numbers with Spectre.Console.
using System.Text;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;

namespace RagTune.Eval.Reports;

public static class TextTableReport
{
    /// <param name="metrics">Columns; by default every metric except the squad_/cmrc_ variants.</param>
    /// <param name="markdown">A GitHub-flavoured Markdown table (pipes, alignment row) instead of aligned plain text.</param>
    public static string Render(EvalRun run, IReadOnlyList<string>? metrics = null, bool markdown = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        // By default the headline EM/F1 stand for their SQuAD/CMRC variants, which stay in the JSON and HTML reports.
        metrics ??= MetricColumns(run.Summaries).Where(m => !m.StartsWith("squad_", StringComparison.Ordinal) && !m.StartsWith("cmrc_", StringComparison.Ordinal)).ToList();
        var header = new List<string> { "system", "n", "errors" };
        header.AddRange(metrics);
        header.Add("latency_ms");
        var rows = new List<List<string>> { header };
        foreach (var s in run.Summaries)
        {
            var row = new List<string> { s.System, s.Items.ToString(), s.Errors.ToString() };
            foreach (var m in metrics)
            {
                if (!s.Metrics.TryGetValue(m, out var ms)) { row.Add("-"); continue; }
                var cell = ms.Count == 0 ? "-" : Markup.Fmt(ms.Mean);
                if (ms.CiLow is double lo && ms.CiHigh is double hi) cell += $" [{Markup.Fmt(lo)},{Markup.Fmt(hi)}]";
                row.Add(cell + Markup.ErrorNote(ms.Errors));
            }
            row.Add(Markup.Fmt(s.MeanLatencyMs, "0"));
            rows.Add(row);
        }
        if (markdown) return Markdown(rows);
        var widths = Enumerable.Range(0, header.Count).Select(c => rows.Max(r => DisplayWidth(r[c]))).ToArray();
        var sb = new StringBuilder();
        for (int r = 0; r < rows.Count; r++)
        {
            for (int c = 0; c < header.Count; c++)
            {
                var cell = rows[r][c];
                var pad = new string(' ', widths[c] - DisplayWidth(cell));
                // Names left-aligned, numbers right-aligned.
                sb.Append(c == 0 ? cell + pad : pad + cell);
                if (c < header.Count - 1) sb.Append("  ");
            }
            sb.Append('\n');
            if (r == 0) sb.Append(string.Join("  ", widths.Select(w => new string('-', w)))).Append('\n');
        }
        return sb.ToString();
    }

    private static string Markdown(List<List<string>> rows)
    {
        static string Cell(string s) => s.Replace("|", "\\|", StringComparison.Ordinal);
        var sb = new StringBuilder();
        for (int r = 0; r < rows.Count; r++)
        {
            sb.Append("| ").Append(string.Join(" | ", rows[r].Select(Cell))).Append(" |\n");
            if (r == 0) sb.Append("|---").Append(string.Concat(Enumerable.Repeat("|---:", rows[0].Count - 1))).Append("|\n");
        }
        return sb.ToString();
    }

    internal static List<string> MetricColumns(IReadOnlyList<SystemSummary> summaries) =>
        summaries.SelectMany(s => s.Metrics.Keys).Distinct()
            .OrderBy(Aggregator.SortKey).ThenBy(n => n, StringComparer.Ordinal).ToList();

    /// <summary>Terminal columns: East Asian wide and full-width characters take two.</summary>
    public static int DisplayWidth(string s)
    {
        int w = 0;
        foreach (var r in s.EnumerateRunes())
        {
            int v = r.Value;
            bool wide = (v >= 0x1100 && v <= 0x115F) || (v >= 0x2E80 && v <= 0xA4CF) || (v >= 0xAC00 && v <= 0xD7A3)
                || (v >= 0xF900 && v <= 0xFAFF) || (v >= 0xFE30 && v <= 0xFE4F) || (v >= 0xFF00 && v <= 0xFF60)
                || (v >= 0xFFE0 && v <= 0xFFE6) || (v >= 0x20000 && v <= 0x3FFFD);
            w += wide ? 2 : 1;
        }
        return w;
    }
}
