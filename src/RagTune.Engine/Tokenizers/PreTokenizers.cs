// Hugging Face pre-tokenizers (tokenizer.json "pre_tokenizer"): each cuts text pieces into smaller pieces.
using System.Globalization;

namespace RagTune.Engine.Tokenizers;

internal abstract class PreTokenizer
{
    /// <param name="firstSegment">True for the text before the first added token (Metaspace "first" scheme).</param>
    public abstract void Split(string text, bool firstSegment, List<string> output);
}

/// <summary>Applies pre-tokenizers one after another to every piece.</summary>
internal sealed class SequencePreTokenizer(IReadOnlyList<PreTokenizer> steps) : PreTokenizer
{
    public override void Split(string text, bool firstSegment, List<string> output)
    {
        var current = new List<string> { text };
        var next = new List<string>();
        foreach (var step in steps)
        {
            next.Clear();
            foreach (var piece in current) step.Split(piece, firstSegment, next);
            (current, next) = (next, current);
        }
        output.AddRange(current);
    }
}

/// <summary>How a split keeps the delimiter (tokenizers' SplitDelimiterBehavior).</summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

/// <summary>Split by a regex or a literal; the matches are the delimiters (or, inverted, the kept parts).</summary>
internal sealed class SplitPreTokenizer : PreTokenizer
{
    private readonly CodePointRegex? _regex;
    private readonly string? _literal;
    private readonly SplitBehavior _behavior;
    private readonly bool _invert;

    public SplitPreTokenizer(CodePointRegex? regex, string? literal, SplitBehavior behavior, bool invert)
    {
        _regex = regex;
        _literal = literal;
        _behavior = behavior;
        _invert = invert;
    }

    public override void Split(string text, bool firstSegment, List<string> output)
    {
        var matches = new List<(int Start, int Length)>();
        if (_regex is not null)
        {
            _regex.Matches(text, matches);
        }
        else if (!string.IsNullOrEmpty(_literal))
        {
            for (int i = text.IndexOf(_literal, StringComparison.Ordinal); i >= 0;
                 i = text.IndexOf(_literal, i + _literal.Length, StringComparison.Ordinal))
                matches.Add((i, _literal.Length));
        }
        // Cover the text with (start, length, isDelimiter) spans.
        var spans = new List<(int Start, int Length, bool Delimiter)>(matches.Count * 2 + 1);
        int pos = 0;
        foreach (var (start, length) in matches)
        {
            if (start > pos) spans.Add((pos, start - pos, _invert));
            spans.Add((start, length, !_invert));
            pos = start + length;
        }
        if (pos < text.Length) spans.Add((pos, text.Length - pos, _invert));
        Apply(text, spans, _behavior, output);
    }

    internal static void Apply(string text, List<(int Start, int Length, bool Delimiter)> spans, SplitBehavior behavior, List<string> output)
    {
        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var s in spans) if (!s.Delimiter) output.Add(text.Substring(s.Start, s.Length));
                break;
            case SplitBehavior.Isolated:
                foreach (var s in spans) output.Add(text.Substring(s.Start, s.Length));
                break;
            case SplitBehavior.MergedWithPrevious:
            case SplitBehavior.MergedWithNext:
            {
                // Cut after a delimiter (merged with previous) or before one (merged with next).
                bool withPrevious = behavior == SplitBehavior.MergedWithPrevious;
                int start = 0;
                for (int i = 0; i < spans.Count; i++)
                {
                    bool last = i + 1 == spans.Count;
                    bool cut = last || (withPrevious ? spans[i].Delimiter || !spans[i + 1].Delimiter : spans[i + 1].Delimiter);
                    if (!cut) continue;
                    int end = spans[i].Start + spans[i].Length;
                    output.Add(text[start..end]);
                    start = end;
                }
                break;
            }
            case SplitBehavior.Contiguous:
            {
                int i = 0;
                while (i < spans.Count)
                {
                    int j = i + 1;
                    if (spans[i].Delimiter)
                        while (j < spans.Count && spans[j].Delimiter) j++;
                    int end = spans[j - 1].Start + spans[j - 1].Length;
                    output.Add(text[spans[i].Start..end]);
                    i = j;
                }
                break;
            }
        }
    }
}

/// <summary>The ByteLevel pre-tokenizer's splitting part (the byte mapping happens in the byte-level BPE model).</summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : PreTokenizer
{
    private static readonly CodePointRegex Gpt2Regex = new(PreTokenizerPatterns.Gpt2, "ByteLevel");

    public override void Split(string text, bool firstSegment, List<string> output)
    {
        if (addPrefixSpace && !text.StartsWith(' ')) text = " " + text;
        if (!useRegex)
        {
            output.Add(text);
            return;
        }
        var matches = new List<(int Start, int Length)>();
        Gpt2Regex.Matches(text, matches);
        int pos = 0;
        foreach (var (start, length) in matches)
        {
            if (start > pos) output.Add(text[pos..start]);
            output.Add(text.Substring(start, length));
            pos = start + length;
        }
        if (pos < text.Length) output.Add(text[pos..]);
    }
}

/// <summary>SentencePiece's space handling as a pre-tokenizer: spaces become "▁", optionally prefixed, split before each "▁".</summary>
internal sealed class MetaspacePreTokenizer(char replacement, string prependScheme, bool split) : PreTokenizer
{
    public override void Split(string text, bool firstSegment, List<string> output)
    {
        if (text.Length == 0) return; // as in Hugging Face, an empty split gets no "▁"
        text = text.Replace(' ', replacement);
        bool prepend = prependScheme == "always" || (prependScheme == "first" && firstSegment);
        if (prepend && !text.StartsWith(replacement)) text = replacement + text;
        if (!split)
        {
            output.Add(text);
            return;
        }
        int start = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] != replacement) continue;
            output.Add(text[start..i]);
            start = i;
        }
        if (start < text.Length) output.Add(text[start..]);
    }
}

/// <summary>Digits isolated from the rest, one per piece or in runs.</summary>
internal sealed class DigitsPreTokenizer(bool individualDigits) : PreTokenizer
{
    public override void Split(string text, bool firstSegment, List<string> output)
    {
        var spans = new List<(int Start, int Length, bool Delimiter)>();
        for (int i = 0; i < text.Length; i++)
        {
            bool digit = char.IsDigit(text[i]);
            if (spans.Count > 0 && spans[^1].Delimiter == digit && !(digit && individualDigits))
                spans[^1] = (spans[^1].Start, spans[^1].Length + 1, digit);
            else
                spans.Add((i, 1, digit));
        }
        SplitPreTokenizer.Apply(text, spans, SplitBehavior.Isolated, output);
    }
}

/// <summary>Every punctuation character (BERT's definition) is a delimiter, kept according to the behavior.</summary>
internal sealed class PunctuationPreTokenizer(SplitBehavior behavior) : PreTokenizer
{
    public override void Split(string text, bool firstSegment, List<string> output)
    {
        var spans = new List<(int Start, int Length, bool Delimiter)>();
        for (int i = 0; i < text.Length; i++)
        {
            bool punctuation = BertText.IsPunctuation(text[i]);
            if (!punctuation && spans.Count > 0 && !spans[^1].Delimiter)
                spans[^1] = (spans[^1].Start, spans[^1].Length + 1, false);
            else
                spans.Add((i, 1, punctuation));
        }
        SplitPreTokenizer.Apply(text, spans, behavior, output);
    }
}

/// <summary>BERT's split: whitespace removed, each punctuation character its own piece.
/// Also serves tokenizers' "Whitespace"-free variant WhitespaceSplit (punctuation kept inside words).</summary>
internal sealed class BertPreTokenizer(bool splitPunctuation) : PreTokenizer
{
    public override void Split(string text, bool firstSegment, List<string> output)
    {
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (start >= 0) output.Add(text[start..i]);
                start = -1;
            }
            else if (splitPunctuation && BertText.IsPunctuation(c))
            {
                if (start >= 0) output.Add(text[start..i]);
                output.Add(text.Substring(i, 1));
                start = -1;
            }
            else if (start < 0)
            {
                start = i;
            }
        }
        if (start >= 0) output.Add(text[start..]);
    }
}

/// <summary>Character classes as BERT's BasicTokenizer defines them.</summary>
internal static class BertText
{
    /// <summary>ASCII symbol ranges count as punctuation even where Unicode says "symbol" ($, +, ^, `…), plus all P* categories.</summary>
    public static bool IsPunctuation(char c)
    {
        if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
        return CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>The CJK ideograph blocks of BERT's _is_chinese_char.</summary>
    public static bool IsChinese(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);

    public static bool IsWhitespace(char c) =>
        c is ' ' or '\t' or '\n' or '\r' || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.SpaceSeparator;

    /// <summary>Control characters that clean_text drops (tab/newline/CR are whitespace instead).</summary>
    public static bool IsControl(System.Text.Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return System.Text.Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse;
    }
}
