// Escaping and number formatting for the XHTML/SVG reports: text and attribute values are XML-escaped, and characters
// XML 1.0 forbids (control characters, lone surrogates that a model may emit) are dropped so the page always parses.
using System.Globalization;
using System.Text;
using System.Xml;

namespace RagTune.Eval.Reports;

public static class Markup
{
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text)) return "";
        var sb = new StringBuilder(text.Length + 16);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }
            if (!XmlConvert.IsXmlChar(c)) continue;
            switch (c)
            {
                case '&': sb.Append("&amp;"); break;
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&#39;"); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    /// <summary>Invariant-culture number for SVG coordinates.</summary>
    public static string Num(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

    public static string Fmt(double v, string format = "0.000") => v.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>What goes beside a metric's figure when failed items were left out of it: " (3 errors)", else "".</summary>
    public static string ErrorNote(int errors) => errors switch
    {
        0 => "",
        1 => " (1 error)",
        _ => $" ({errors.ToString(CultureInfo.InvariantCulture)} errors)",
    };

    /// <summary>Fonts that cover CJK on Windows, macOS and Linux before the generic fallback.</summary>
    public const string FontStack =
        "system-ui, -apple-system, 'Segoe UI', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', sans-serif";

    // Categorical colours (colour-blind-friendly Okabe–Ito order) for systems and series.
    private static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

    public static string Color(int index) => Palette[((index % Palette.Length) + Palette.Length) % Palette.Length];
}
