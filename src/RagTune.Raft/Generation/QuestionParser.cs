// Turns the teacher's question list (numbered, bulleted, quoted, one per line) into clean, de-duplicated questions.
using System.Text.RegularExpressions;

namespace RagTune.Raft.Generation;

internal static partial class QuestionParser
{
    /// <summary>
    /// One question per non-empty line, list markers and surrounding quotes stripped, lines shorter than 4 characters or
    /// ending in ':' (headers such as "Here are the questions:") dropped, duplicates (by <see cref="TextNormalization.QuestionKey"/>)
    /// removed; at most <paramref name="max"/>. <paramref name="duplicates"/> counts the duplicates seen.
    /// </summary>
    public static List<string> Parse(string text, int max, out int duplicates)
    {
        duplicates = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = Marker().Replace(raw.Trim(), "").Trim().Trim('"', '“', '”', '「', '」', '*').Trim();
            if (line.Length < 4 || line.EndsWith(':') || line.EndsWith('：'))
                continue;
            var key = TextNormalization.QuestionKey(line);
            if (key.Length == 0)
                continue;
            if (!seen.Add(key))
            {
                duplicates++;
                continue;
            }
            if (result.Count < max)
                result.Add(line);
        }
        return result;
    }

    // "1.", "1)", "1、", "(1)", "-", "*", "•", "Q1:", "问题1：", "**1.**" at the start of a line.
    [GeneratedRegex(@"^(?:\*\*)?(?:[-*•·]\s*|\(?\d{1,3}[.)、:：]\s*|Q\d{0,3}\s*[.:：]\s*|问题\s*\d{0,3}\s*[.:：、]\s*)(?:\*\*)?")]
    private static partial Regex Marker();
}
