// Hugging Face normalizers (tokenizer.json "normalizer") that RagTune supports, applied to each plain-text segment.
using System.Globalization;
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal abstract class Normalizer
{
    public abstract string Normalize(string text);
}

internal sealed class SequenceNormalizer(IReadOnlyList<Normalizer> steps) : Normalizer
{
    public override string Normalize(string text)
    {
        foreach (var step in steps) text = step.Normalize(text);
        return text;
    }
}

internal sealed class UnicodeFormNormalizer(NormalizationForm form) : Normalizer
{
    public override string Normalize(string text) => text.IsNormalized(form) ? text : text.Normalize(form);
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
}

/// <summary>Prepends a string to non-empty text (LLaMA-2's "▁").</summary>
internal sealed class PrependNormalizer(string prefix) : Normalizer
{
    public override string Normalize(string text) => text.Length == 0 ? text : prefix + text;
}

internal sealed class ReplaceNormalizer(CodePointRegex? regex, string? literal, string content) : Normalizer
{
    public override string Normalize(string text)
    {
        if (literal is not null) return literal.Length == 0 ? text : text.Replace(literal, content, StringComparison.Ordinal);
        var matches = new List<(int Start, int Length)>();
        regex!.Matches(text, matches);
        if (matches.Count == 0) return text;
        var sb = new StringBuilder(text.Length);
        int pos = 0;
        foreach (var (start, length) in matches)
        {
            sb.Append(text, pos, start - pos).Append(content);
            pos = start + length;
        }
        return sb.Append(text, pos, text.Length - pos).ToString();
    }
}

/// <summary>BERT's text cleaning: drop controls, whitespace → space, spaces around CJK ideographs, accents, lower case.</summary>
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
            if (handleChineseChars && BertText.IsChinese(rune.Value))
                sb.Append(' ').Append(rune.ToString()).Append(' ');
            else
                sb.Append(rune.ToString());
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
