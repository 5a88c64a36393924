// Extracts a final answer from a reasoning trace and compares it with a reference: numerically with tolerance, else as normalised text.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RagTune.Raft.Distillation;

public static partial class AnswerMatcher
{
    /// <summary>
    /// The final answer: text after the last <paramref name="marker"/>, else the last \boxed{…}, else text after the last
    /// "####" (GSM8K style); null when none is present.
    /// </summary>
    public static string? ExtractFinal(string text, string marker)
    {
        var at = text.LastIndexOf(marker, StringComparison.Ordinal);
        if (at >= 0)
            return NonEmpty(text[(at + marker.Length)..]);
        if (LastBoxed(text) is { } boxed)
            return NonEmpty(boxed);
        var hashes = text.LastIndexOf("####", StringComparison.Ordinal);
        return hashes >= 0 ? NonEmpty(text[(hashes + 4)..]) : null;
    }

    /// <summary>The reference's final answer: after "####" or inside \boxed{} when present (GSM8K/MATH), else the whole text.</summary>
    public static string ReferenceFinal(string reference)
    {
        var hashes = reference.LastIndexOf("####", StringComparison.Ordinal);
        if (hashes >= 0)
            return reference[(hashes + 4)..].Trim();
        return LastBoxed(reference)?.Trim() ?? reference.Trim();
    }

    /// <summary>
    /// True when both parse as numbers within <paramref name="tolerance"/> × max(1, |reference|), or, when either is not a
    /// number, when their normalised texts are equal (NFKC, lower case, no punctuation/whitespace, no English articles).
    /// </summary>
    public static bool Matches(string predicted, string reference, double tolerance = 1e-6)
    {
        if (TryNumber(predicted, out var p) && TryNumber(reference, out var r))
            return Math.Abs(p - r) <= tolerance * Math.Max(1.0, Math.Abs(r));
        var a = NormalizeText(predicted);
        return a.Length > 0 && a == NormalizeText(reference);
    }

    /// <summary>
    /// Parses "1,234.5", "$18", "18 dollars", "50%", "-3/4", "\frac{3}{4}", "$\dfrac{1}{2}$", "1e-3". A text holding more than
    /// one number (e.g. "3 and 4") is not a number.
    /// </summary>
    public static bool TryNumber(string text, out double value)
    {
        value = 0;
        var s = text.Replace("\\!", "").Replace("\\,", "").Replace("\\left", "").Replace("\\right", "").Trim().Trim('$').TrimEnd('.', '。').Trim();
        var frac = LatexFraction().Match(s);
        if (frac.Success && frac.Value.Length == s.Length)
        {
            var num = double.Parse(frac.Groups[1].Value, CultureInfo.InvariantCulture);
            var den = double.Parse(frac.Groups[2].Value, CultureInfo.InvariantCulture);
            if (den == 0)
                return false;
            value = (s.StartsWith('-') ? -1 : 1) * num / den;
            return true;
        }
        var numbers = Number().Matches(s);
        if (numbers.Count != 1)
            return false;
        var m = numbers[0];
        var digits = m.Groups["n"].Value.Replace(",", "");
        if (!double.TryParse(digits, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
            return false;
        if (m.Groups["d"].Success)
        {
            var den = double.Parse(m.Groups["d"].Value, CultureInfo.InvariantCulture);
            if (den == 0)
                return false;
            value /= den;
        }
        return true;
    }

    private static string NormalizeText(string s)
    {
        var sb = new StringBuilder();
        foreach (var word in Words().Matches(s.Normalize(NormalizationForm.FormKC).ToLowerInvariant()).Select(w => w.Value))
            if (word is not ("a" or "an" or "the"))
                sb.Append(word);
        return sb.ToString();
    }

    private static string? LastBoxed(string text)
    {
        var at = text.LastIndexOf("\\boxed{", StringComparison.Ordinal);
        if (at < 0)
            return null;
        var depth = 0;
        for (var i = at + 6; i < text.Length; i++)
        {
            if (text[i] == '{')
                depth++;
            else if (text[i] == '}' && --depth == 0)
                return text[(at + 7)..i];
        }
        return null;
    }

    private static string? NonEmpty(string s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    [GeneratedRegex(@"^-?\\d?frac\{(\d+(?:\.\d+)?)\}\{(\d+(?:\.\d+)?)\}", RegexOptions.CultureInvariant)]
    private static partial Regex LatexFraction();

    // A number with optional sign, thousands separators, decimals, exponent, and an optional "/denominator".
    [GeneratedRegex(@"(?<n>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|[-+]?\.\d+)(?:\s*/\s*(?<d>\d+(?:\.\d+)?))?", RegexOptions.CultureInvariant)]
    private static partial Regex Number();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();
}
