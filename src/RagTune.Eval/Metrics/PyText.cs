// Python 3 `str` semantics (isspace, isalnum, lower, strip, split) on Unicode scalar values, so the
// official SQuAD / CMRC scripts transcribe faithfully; differences from CPython are listed in docs/metrics.md.
using System.Text;

namespace RagTune.Eval.Metrics;

internal static class PyText
{
    // str.isspace: Unicode White_Space plus the ASCII separators U+001C..U+001F that Python also counts.
    public static bool IsSpace(Rune r) => Rune.IsWhiteSpace(r) || (r.Value >= 0x1C && r.Value <= 0x1F);

    // str.isalnum: letters (L*) or numbers (Nd, Nl, No).
    public static bool IsAlnum(Rune r) => Rune.IsLetter(r) || Rune.IsNumber(r);

    public static string Lower(string s) => s.ToLowerInvariant();

    public static string Strip(string s)
    {
        var runes = Runes(s);
        int start = 0, end = runes.Count;
        while (start < end && IsSpace(runes[start])) start++;
        while (end > start && IsSpace(runes[end - 1])) end--;
        return Join(runes, start, end);
    }

    // str.split() with no argument: runs of whitespace separate, no empty pieces.
    public static List<string> Split(string s)
    {
        var parts = new List<string>();
        var sb = new StringBuilder();
        foreach (var r in s.EnumerateRunes())
        {
            if (IsSpace(r))
            {
                if (sb.Length > 0) { parts.Add(sb.ToString()); sb.Clear(); }
            }
            else sb.Append(r.ToString());
        }
        if (sb.Length > 0) parts.Add(sb.ToString());
        return parts;
    }

    public static List<Rune> Runes(string s)
    {
        var list = new List<Rune>(s.Length);
        foreach (var r in s.EnumerateRunes()) list.Add(r);
        return list;
    }

    public static string Join(List<Rune> runes, int start, int end)
    {
        var sb = new StringBuilder(end - start);
        for (int i = start; i < end; i++) sb.Append(runes[i].ToString());
        return sb.ToString();
    }

    // CJK Unified Ideographs as the CMRC script's regex [\u4e00-\u9fa5] matches them.
    public static bool IsCmrcChinese(Rune r) => r.Value >= 0x4E00 && r.Value <= 0x9FA5;

    // Any CJK ideograph (basic block and extension A), used where RagTune chooses the tokenisation itself.
    public static bool IsCjkIdeograph(Rune r) =>
        (r.Value >= 0x4E00 && r.Value <= 0x9FFF) || (r.Value >= 0x3400 && r.Value <= 0x4DBF);

    public static bool ContainsCjk(string s)
    {
        foreach (var r in s.EnumerateRunes())
            if (IsCjkIdeograph(r)) return true;
        return false;
    }
}
