// Hugging Face normalizers (tokenizer.json "normalizer") that RagTune supports, applied to each plain-text segment.
using System.Globalization;
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal abstract class Normalizer
{
    public abstract string Normalize(string text);

    /// <summary>Normalizes and tracks where each output char came from. The default treats the normalizer as acting on
    /// each code point separately, which holds for case mapping, accent stripping, decomposition and BERT's cleaning.</summary>
    public virtual AlignedText NormalizeAligned(string text) =>
        AlignedText.ByRuns(text, AlignedText.CodePoints(text), Normalize);
}

internal sealed class SequenceNormalizer(IReadOnlyList<Normalizer> steps) : Normalizer
{
    public override string Normalize(string text)
    {
        foreach (var step in steps) text = step.Normalize(text);
        return text;
    }

    public override AlignedText NormalizeAligned(string text)
    {
        var aligned = AlignedText.Identity(text);
        foreach (var step in steps) aligned = step.NormalizeAligned(aligned.Text).After(aligned);
        return aligned;
    }
}

internal sealed class UnicodeFormNormalizer(NormalizationForm form) : Normalizer
{
    public override string Normalize(string text) => text.IsNormalized(form) ? text : text.Normalize(form);

    // Composition (NFC, NFKC) joins a base character with the marks after it, so those go together as one run.
    public override AlignedText NormalizeAligned(string text) =>
        text.IsNormalized(form) ? AlignedText.Identity(text)
        : AlignedText.ByRuns(text, form is NormalizationForm.FormC or NormalizationForm.FormKC ? Clusters(text) : AlignedText.CodePoints(text), Normalize);

    private static IEnumerable<(int Start, int Length)> Clusters(string text)
    {
        int start = -1;
        foreach (var (s, length) in AlignedText.CodePoints(text))
        {
            var category = CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(text, s));
            bool mark = category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
            if (start >= 0 && !mark)
            {
                yield return (start, s - start);
                start = s;
            }
            else if (start < 0)
            {
                start = s;
            }
        }
        if (start >= 0) yield return (start, text.Length - start);
    }
}

internal sealed class LowercaseNormalizer : Normalizer
{
    public override string Normalize(string text) => text.ToLowerInvariant();
}

/// <summary>Removes combining marks (after an NFD normalizer has separated them).</summary>
internal sealed class StripAccentsNormalizer : Normalizer
{
    public override string Normalize(string text) => BertNormalizer.RemoveMarks(text);
}

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Normalize(string text) => left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;

    public override AlignedText NormalizeAligned(string text)
    {
        int start = left ? text.Length - text.TrimStart().Length : 0;
        int end = right ? text.TrimEnd().Length : text.Length;
        if (end < start) end = start;
        var slice = text[start..end];
        var identity = AlignedText.Identity(slice);
        return identity with { Starts = identity.Starts.Select(i => i + start).ToArray(), Ends = identity.Ends.Select(i => i + start).ToArray() };
    }
}

/// <summary>Prepends a string to non-empty text (LLaMA-2's "▁").</summary>
internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;

    public override AlignedText NormalizeAligned(string text)
    {
        if (text.Length == 0) return AlignedText.Identity(text);
        var starts = new int[prefix.Length + text.Length];
        var ends = new int[starts.Length];
        for (int i = 0; i < text.Length; i++) { starts[prefix.Length + i] = i; ends[prefix.Length + i] = i + 1; }
        return new AlignedText(prefix + text, starts, ends); // prefix chars: empty ranges at 0
    }
}

internal sealed class ReplaceNormalizer(CodePointRegex? regex, string? literal, string content) : Normalizer
{
    public override string Normalize(string text) => NormalizeAligned(text).Text;

    /// <summary>Each replacement maps to the match it replaced; other chars to themselves.</summary>
    public override AlignedText NormalizeAligned(string text)
    {
        var matches = new List<(int Start, int Length)>();
        if (literal is not null)
        {
            if (literal.Length > 0)
                for (int i = text.IndexOf(literal, StringComparison.Ordinal); i >= 0; i = text.IndexOf(literal, i + literal.Length, StringComparison.Ordinal))
                    matches.Add((i, literal.Length));
        }
        else
        {
            regex!.Matches(text, matches);
        }
        if (matches.Count == 0) return AlignedText.Identity(text);
        var sb = new StringBuilder(text.Length);
        var starts = new List<int>(text.Length);
        var ends = new List<int>(text.Length);
        int pos = 0;
        foreach (var (start, length) in matches)
        {
            Keep(pos, start);
            sb.Append(content);
            for (int k = 0; k < content.Length; k++) { starts.Add(start); ends.Add(start + length); }
            pos = start + length;
        }
        Keep(pos, text.Length);
        return new AlignedText(sb.ToString(), starts.ToArray(), ends.ToArray());

        void Keep(int from, int to)
        {
            sb.Append(text, from, to - from);
            for (int i = from; i < to; i++) { starts.Add(i); ends.Add(i + 1); }
        }
    }
}

internal sealed class BertNormalizer(bool cleanText, bool handleChineseChars, bool stripAccents, bool lowercase) : Normalizer
{
    public override string Normalize(string text)
    {
        var sb = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            if (cleanText)
            {
                if (rune.Value == 0 || rune.Value == 0xFFFD || BertText.IsControl(rune)) continue;
                if (rune.IsBmp && BertText.IsWhitespace((char)rune.Value))
                {
                    sb.Append(' ');
                    continue;
                }
            }
            bool pad = handleChineseChars && BertText.IsChinese(rune.Value);
            if (pad) sb.Append(' ');
            if (rune.IsBmp) sb.Append((char)rune.Value);
            else sb.Append(char.ConvertFromUtf32(rune.Value));
            if (pad) sb.Append(' ');
        }
        string result = sb.ToString();
        if (stripAccents) result = RemoveMarks(result.Normalize(NormalizationForm.FormD));
        if (lowercase) result = result.ToLowerInvariant();
        return result;
    }

    internal static string RemoveMarks(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark) sb.Append(c);
        return sb.ToString();
    }
}
