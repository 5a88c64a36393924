// Splits Chinese and English text into sentences as exact spans; blank lines, form feeds and paragraph ends are hard boundaries.
using System.Text.RegularExpressions;

namespace RagTune.Knowledge.Text;

/// <summary>
/// Rule-based sentence boundaries. Chinese: 。！？；… (and the full-width ！？；, half-width ｡) end a sentence, runs such as
/// "……" or "！？" stay together, and closing quotes/brackets (”’」』）》 …) stay with the sentence they close.
/// English: .!? end a sentence when followed by whitespace, the end or a CJK character (after any closing quotes), except after
/// abbreviations (Mr., e.g., U.S., "No." before a number), single-letter initials (J. K. Rowling), inside decimals (3.14), or
/// when the next word starts in lower case (an ellipsis or an unknown abbreviation mid-sentence). Each span is trimmed of
/// surrounding whitespace, so <c>text[span.Start..span.End]</c> is the sentence exactly.
/// </summary>
public sealed partial class SentenceSplitter
{
    public static SentenceSplitter Default { get; } = new();

    private readonly HashSet<string> _abbreviations;
    private readonly HashSet<string> _numberAbbreviations;

    public SentenceSplitter(SentenceSplitterOptions? options = null)
    {
        options ??= new SentenceSplitterOptions();
        _abbreviations = new HashSet<string>(options.Abbreviations, StringComparer.OrdinalIgnoreCase);
        _numberAbbreviations = new HashSet<string>(options.NumberAbbreviations, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<TextSpan> Split(string text) => Split(text, new TextSpan(0, text.Length));

    /// <summary>Sentences inside <paramref name="range"/> of <paramref name="text"/>; spans are absolute offsets.</summary>
    public IReadOnlyList<TextSpan> Split(string text, TextSpan range)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (range.Start < 0 || range.End > text.Length || range.Start > range.End)
            throw new ArgumentOutOfRangeException(nameof(range), $"range [{range.Start}, {range.End}) is outside a text of {text.Length} chars");
        var sentences = new List<TextSpan>();
        var end = range.End;
        var start = -1;
        var i = range.Start;
        while (i < end)
        {
            var c = text[i];
            if (c is '\n' or '\f')
            {
                var j = i + 1;
                while (j < end && text[j] is ' ' or '\t' or '\r') j++;
                if (c == '\f' || (j < end && text[j] is '\n' or '\f'))
                {
                    Close(text, sentences, start, i);
                    start = -1;
                    i = j;
                    continue;
                }
                i++;
                continue;
            }
            if (start < 0)
            {
                if (char.IsWhiteSpace(c)) { i++; continue; }
                start = i;
            }
            if (IsCjkTerminator(c) || c is '.' or '!' or '?')
            {
                var afterRun = i;
                while (afterRun < end && (IsCjkTerminator(text[afterRun]) || text[afterRun] is '.' or '!' or '?')) afterRun++;
                var afterClosers = afterRun;
                while (afterClosers < end && IsCloser(text[afterClosers])) afterClosers++;
                var boundary = IsCjkTerminator(c)
                    ? !(c == '…' && NextWordIsLowerLatin(text, afterClosers, end))
                    : IsLatinBoundary(text, range.Start, i, afterRun, afterClosers, end);
                if (boundary)
                {
                    Close(text, sentences, start, afterClosers);
                    start = -1;
                }
                i = afterClosers;
                continue;
            }
            i++;
        }
        Close(text, sentences, start, end);
        return sentences;
    }

    private bool IsLatinBoundary(string text, int rangeStart, int runStart, int runEnd, int afterClosers, int end)
    {
        if (afterClosers < end && !char.IsWhiteSpace(text[afterClosers]) && !Scripts.IsCjkAt(text, afterClosers)) return false;
        var next = afterClosers;
        while (next < end && char.IsWhiteSpace(text[next])) next++;
        var nextChar = next < end ? text[next] : '\0';

        if (runEnd - runStart == 1 && text[runStart] == '.')
        {
            var wordStart = runStart;
            while (wordStart > rangeStart && !char.IsWhiteSpace(text[wordStart - 1]) && !IsOpener(text[wordStart - 1])) wordStart--;
            var word = text[wordStart..runStart];
            if (word.Length > 0)
            {
                if (_abbreviations.Contains(word)) return false;
                if (_numberAbbreviations.Contains(word) && char.IsAsciiDigit(nextChar)) return false;
                if (word.Length == 1 && char.IsUpper(word[0])) return false;
                if (DottedAbbreviation().IsMatch(word)) return false;
            }
        }
        return !(Scripts.IsLatinLetter(nextChar) && char.IsLower(nextChar));
    }

    private static bool NextWordIsLowerLatin(string text, int from, int end)
    {
        while (from < end && char.IsWhiteSpace(text[from])) from++;
        return from < end && Scripts.IsLatinLetter(text[from]) && char.IsLower(text[from]);
    }

    private static void Close(string text, List<TextSpan> sentences, int start, int end)
    {
        if (start < 0) return;
        while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
        if (end > start) sentences.Add(new TextSpan(start, end));
    }

    private static bool IsCjkTerminator(char c) => c is '。' or '！' or '？' or '；' or '…' or '｡';

    private static bool IsCloser(char c) => c is '”' or '’' or '」' or '』' or '）' or '》' or '〉' or '】' or '〕' or '"' or '\'' or ')' or ']';

    private static bool IsOpener(char c) => c is '(' or '[' or '{' or '"' or '\'' or '“' or '‘' or '（' or '「' or '『' or '《';

    // "U.S", "e.g", "a.m": single letters joined by dots (the final dot is the one being judged).
    [GeneratedRegex("^(?:[A-Za-z]\\.)+[A-Za-z]$")]
    private static partial Regex DottedAbbreviation();
}
