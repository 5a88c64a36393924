// Containment ("原文包含度"): does the normalised prediction occur verbatim in the normalised source passage, and
// the graded variant: longest common substring (characters) / prediction length.
using System.Globalization;
using System.Text;

namespace RagTune.Eval.Metrics;

public static class Containment
{
    /// <summary>NFKC, lower-case, and drop whitespace, punctuation (P*) and symbols (S*): what is left is the wording.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var r in PyText.Lower(text.Normalize(NormalizationForm.FormKC)).EnumerateRunes())
        {
            if (PyText.IsSpace(r)) continue;
            var cat = Rune.GetUnicodeCategory(r);
            if (cat is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
                or UnicodeCategory.OtherPunctuation or UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol
                or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol)
                continue;
            sb.Append(r.ToString());
        }
        return sb.ToString();
    }

    /// <summary>1 when the normalised prediction is non-empty and a substring of some normalised passage, else 0.</summary>
    public static double Contains(string prediction, IEnumerable<string> passages)
    {
        ArgumentNullException.ThrowIfNull(passages);
        var p = Normalize(prediction);
        if (p.Length == 0) return 0;
        return passages.Any(s => Normalize(s).Contains(p, StringComparison.Ordinal)) ? 1 : 0;
    }

    /// <summary>max over passages of |longest common substring| / |prediction| on normalised text (Unicode scalars); 0 for an empty prediction.</summary>
    public static double LcsRatio(string prediction, IEnumerable<string> passages)
    {
        ArgumentNullException.ThrowIfNull(passages);
        var p = PyText.Runes(Normalize(prediction)).Select(r => r.Value).ToList();
        if (p.Count == 0) return 0;
        double best = 0;
        foreach (var s in passages)
        {
            var t = PyText.Runes(Normalize(s)).Select(r => r.Value).ToList();
            best = Math.Max(best, (double)Lcs.LongestCommonSubstring(p, t) / p.Count);
        }
        return best;
    }
}
