// A line chart as standalone inline SVG (several named series over a numeric x axis), e.g. training loss curves.
using System.Text;

namespace RagTune.Eval.Reports;

public sealed record LineSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

public static class SvgLineChart
{
    public static string Render(string title, IReadOnlyList<LineSeries> series, LineChartOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= new LineChartOptions();
        const int left = 60, right = 130, top = 30, bottom = 45;
        int pw = Math.Max(50, options.Width - left - right), ph = Math.Max(50, options.Height - top - bottom);
        var pts = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).ToList();
        double x0 = pts.Count > 0 ? pts.Min(p => p.X) : 0, x1 = pts.Count > 0 ? pts.Max(p => p.X) : 1;
        double y0 = pts.Count > 0 ? pts.Min(p => p.Y) : 0, y1 = pts.Count > 0 ? pts.Max(p => p.Y) : 1;
        if (x1 <= x0) x1 = x0 + 1;
        if (y1 <= y0) { y1 = y0 + 1; y0 -= 1; }
        var (yTicks, ys0, ys1) = NiceTicks(y0, y1);
        var (xTicks, xs0, xs1) = NiceTicks(x0, x1);
        double X(double v) => left + (v - xs0) / (xs1 - xs0) * pw;
        double Y(double v) => top + ph - (v - ys0) / (ys1 - ys0) * ph;

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart line-chart\" width=\"{options.Width}\" height=\"{options.Height}\" viewBox=\"0 0 {options.Width} {options.Height}\" font-family=\"{Markup.FontStack}\" role=\"img\" aria-label=\"{Markup.Escape(title)}\">");
        sb.Append($"<title>{Markup.Escape(title)}</title>");
        sb.Append($"<text x=\"4\" y=\"18\" font-size=\"14\" font-weight=\"bold\">{Markup.Escape(title)}</text>");
        foreach (var t in yTicks)
        {
            sb.Append($"<line x1=\"{left}\" y1=\"{Markup.Num(Y(t))}\" x2=\"{left + pw}\" y2=\"{Markup.Num(Y(t))}\" stroke=\"#e5e5e5\"/>");
            sb.Append($"<text x=\"{left - 6}\" y=\"{Markup.Num(Y(t) + 4)}\" font-size=\"10\" text-anchor=\"end\" fill=\"#555\">{Markup.Fmt(t, "0.###")}</text>");
        }
        foreach (var t in xTicks)
            sb.Append($"<text x=\"{Markup.Num(X(t))}\" y=\"{top + ph + 15}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">{Markup.Fmt(t, "0.###")}</text>");
        sb.Append($"<rect x=\"{left}\" y=\"{top}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#999\"/>");
        sb.Append($"<text x=\"{left + pw / 2}\" y=\"{options.Height - 8}\" font-size=\"12\" text-anchor=\"middle\">{Markup.Escape(options.XLabel)}</text>");
        sb.Append($"<text x=\"14\" y=\"{top + ph / 2}\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 {top + ph / 2})\">{Markup.Escape(options.YLabel)}</text>");
        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var coords = string.Join(' ', s.Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y)).Select(p => $"{Markup.Num(X(p.X))},{Markup.Num(Y(p.Y))}"));
            sb.Append($"<polyline class=\"series\" points=\"{coords}\" fill=\"none\" stroke=\"{Markup.Color(i)}\" stroke-width=\"1.8\"><title>{Markup.Escape(s.Name)}</title></polyline>");
            int ly = top + 12 + i * 16;
            sb.Append($"<line x1=\"{left + pw + 10}\" y1=\"{ly - 4}\" x2=\"{left + pw + 28}\" y2=\"{ly - 4}\" stroke=\"{Markup.Color(i)}\" stroke-width=\"3\"/>");
            sb.Append($"<text x=\"{left + pw + 32}\" y=\"{ly}\" font-size=\"11\">{Markup.Escape(s.Name)}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>About five ticks at 1/2/5 × 10^k spacing covering [lo, hi]; returns the ticks and the widened range.</summary>
    internal static (List<double> Ticks, double Lo, double Hi) NiceTicks(double lo, double hi)
    {
        double raw = (hi - lo) / 5, p = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * p).First(s => s >= raw);
        double start = Math.Floor(lo / step) * step, end = Math.Ceiling(hi / step) * step;
        var ticks = new List<double>();
        for (double t = start; t <= end + step / 2; t += step) ticks.Add(Math.Round(t / step) * step);
        return (ticks, start, end);
    }
}
