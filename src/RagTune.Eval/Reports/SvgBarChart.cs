// A horizontal bar chart as standalone inline SVG (one bar per label, optional confidence whiskers), for the HTML report.
using System.Text;

namespace RagTune.Eval.Reports;

/// <summary>One bar: its label, value, optional interval [Low, High] drawn as a whisker, and colour (default: by position).</summary>
public sealed record BarValue(string Label, double Value, double? Low = null, double? High = null, string? Color = null);

public static class SvgBarChart
{
    public static string Render(string title, IReadOnlyList<BarValue> bars, BarChartOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bars);
        options ??= new BarChartOptions();
        const int top = 30, gap = 6, valueWidth = 60, bottom = 22;
        int plotWidth = Math.Max(50, options.Width - options.LabelWidth - valueWidth - 10);
        int height = top + bars.Count * (options.BarHeight + gap) + bottom;
        double max = options.MaxValue ?? NiceCeiling(bars.Select(b => Math.Max(b.Value, b.High ?? b.Value)).DefaultIfEmpty(1).Max());
        if (!(max > 0)) max = 1;
        double X(double v) => options.LabelWidth + Math.Clamp(v / max, 0, 1) * plotWidth;

        var sb = new StringBuilder();
        sb.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart bar-chart\" width=\"{options.Width}\" height=\"{height}\" viewBox=\"0 0 {options.Width} {height}\" font-family=\"{Markup.FontStack}\" role=\"img\" aria-label=\"{Markup.Escape(title)}\">");
        sb.Append($"<title>{Markup.Escape(title)}</title>");
        sb.Append($"<text x=\"4\" y=\"18\" class=\"chart-title\" font-size=\"14\" font-weight=\"bold\">{Markup.Escape(title)}</text>");
        // Axis with ticks at 0, max/4, …, max.
        int axisY = top + bars.Count * (options.BarHeight + gap);
        for (int t = 0; t <= 4; t++)
        {
            double v = max * t / 4, x = X(v);
            sb.Append($"<line x1=\"{Markup.Num(x)}\" y1=\"{top - 4}\" x2=\"{Markup.Num(x)}\" y2=\"{axisY}\" stroke=\"#ddd\" stroke-width=\"1\"/>");
            sb.Append($"<text x=\"{Markup.Num(x)}\" y=\"{axisY + 15}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#555\">{Markup.Fmt(v, "0.##")}</text>");
        }
        for (int i = 0; i < bars.Count; i++)
        {
            var b = bars[i];
            double y = top + i * (options.BarHeight + gap);
            double w = X(b.Value) - options.LabelWidth;
            sb.Append($"<text x=\"{options.LabelWidth - 6}\" y=\"{Markup.Num(y + options.BarHeight * 0.7)}\" font-size=\"12\" text-anchor=\"end\">{Markup.Escape(b.Label)}</text>");
            sb.Append($"<rect class=\"bar\" x=\"{options.LabelWidth}\" y=\"{Markup.Num(y)}\" width=\"{Markup.Num(Math.Max(0, w))}\" height=\"{options.BarHeight}\" fill=\"{Markup.Escape(b.Color ?? Markup.Color(i))}\"><title>{Markup.Escape(b.Label)}: {Markup.Fmt(b.Value, options.ValueFormat)}</title></rect>");
            if (b.Low is double lo && b.High is double hi)
            {
                double cy = y + options.BarHeight / 2.0;
                sb.Append($"<path class=\"ci\" d=\"M{Markup.Num(X(lo))} {Markup.Num(cy)}H{Markup.Num(X(hi))}M{Markup.Num(X(lo))} {Markup.Num(cy - 5)}V{Markup.Num(cy + 5)}M{Markup.Num(X(hi))} {Markup.Num(cy - 5)}V{Markup.Num(cy + 5)}\" stroke=\"#222\" stroke-width=\"1.2\" fill=\"none\"/>");
            }
            sb.Append($"<text x=\"{options.LabelWidth + plotWidth + 6}\" y=\"{Markup.Num(y + options.BarHeight * 0.7)}\" font-size=\"12\">{Markup.Fmt(b.Value, options.ValueFormat)}</text>");
        }
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="v"/>.</summary>
    internal static double NiceCeiling(double v)
    {
        if (!(v > 0) || double.IsInfinity(v)) return 1;
        double p = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1.0, 2.0, 2.5, 5.0, 10.0 })
            if (m * p >= v * (1 - 1e-12)) return m * p;
        return 10 * p;
    }
}
