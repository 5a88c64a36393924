// NFKC normalisation (which also folds full-width ASCII and the ideographic space to half-width) that remembers,
// for every output char, the range of the original string it came from, so tokens can report original offsets.
using System.Globalization;
using System.Text;

namespace RagTune.Knowledge.Analysis;

internal static class TextNormalizer
{
    /// <summary>The normalised text and, per normalised char, the original [start, end) it came from (null = identity).</summary>
    public static (string Text, int[]? Starts, int[]? Ends) Normalize(string text)
    {
        text = ReplaceLoneSurrogates(text);
        if (text.IsNormalized(NormalizationForm.FormKC)) return (text, null, null);
        var sb = new StringBuilder(text.Length);
        var starts = new List<int>(text.Length);
        var ends = new List<int>(text.Length);
        // Normalising grapheme by grapheme keeps combining sequences whole while giving each output char an origin.
        int i = 0;
        while (i < text.Length)
        {
            int len = StringInfo.GetNextTextElementLength(text, i);
            string element = text.Substring(i, len);
            string norm = element.IsNormalized(NormalizationForm.FormKC) ? element : element.Normalize(NormalizationForm.FormKC);
            sb.Append(norm);
            for (int k = 0; k < norm.Length; k++)
            {
                starts.Add(i);
                ends.Add(i + len);
            }
            i += len;
        }
        return (sb.ToString(), starts.ToArray(), ends.ToArray());
    }

    // Normalisation rejects ill-formed UTF-16; a lone surrogate becomes U+FFFD (one char for one, so offsets hold).
    private static string ReplaceLoneSurrogates(string text)
    {
        char[]? copy = null;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (!char.IsSurrogate(c)) continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            copy ??= text.ToCharArray();
            copy[i] = '\uFFFD';
        }
        return copy is null ? text : new string(copy);
    }
}
