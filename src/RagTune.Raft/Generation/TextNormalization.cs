// Normal forms used by the quality gate (quotes vs. oracle) and by question de-duplication.
using System.Globalization;
using System.Text;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Generation;

internal static class TextNormalization
{
    /// <summary>
    /// NFKC (full-width → half-width), every whitespace run → one space, trimmed, and no space next to a CJK character
    /// (models add or drop spaces between Chinese characters when they copy).
    /// </summary>
    public static string Whitespace(string s)
    {
        var n = s.Normalize(NormalizationForm.FormKC);
        var sb = new StringBuilder(n.Length);
        var pendingSpace = false;
        foreach (var ch in n)
        {
            if (char.IsWhiteSpace(ch))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }
            if (pendingSpace && !LanguageDetection.IsCjk(ch) && !LanguageDetection.IsCjk(sb[^1]))
                sb.Append(' ');
            pendingSpace = false;
            sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>Key for duplicate questions: NFKC, lower case, letters and digits only.</summary>
    public static string QuestionKey(string question)
    {
        var sb = new StringBuilder();
        foreach (var ch in question.Normalize(NormalizationForm.FormKC))
            if (char.IsLetterOrDigit(ch))
                sb.Append(char.ToLower(ch, CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
