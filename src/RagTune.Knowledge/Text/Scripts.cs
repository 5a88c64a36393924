// Script classification shared by the splitter, the token counter and the language guess.
using System.Globalization;
using System.Text;

namespace RagTune.Knowledge.Text;

internal static class Scripts
{
    /// <summary>Han ideographs (incl. extensions and compatibility), kana and Hangul syllables: scripts written without spaces
    /// where each character is roughly one BPE token and a boundary may fall between any two characters.</summary>
    public static bool IsCjk(int codePoint) =>
        codePoint is >= 0x4E00 and <= 0x9FFF
            or >= 0x3400 and <= 0x4DBF
            or >= 0xF900 and <= 0xFAFF
            or >= 0x3040 and <= 0x30FF
            or >= 0xAC00 and <= 0xD7AF
            or >= 0x20000 and <= 0x3134F;

    public static bool IsCjk(char c) => !char.IsSurrogate(c) && IsCjk((int)c);

    /// <summary>CJK at <paramref name="index"/>, reading a surrogate pair when there is one.</summary>
    public static bool IsCjkAt(string text, int index) =>
        Rune.TryGetRuneAt(text, index, out var rune) && IsCjk(rune.Value);

    public static bool IsLatinLetter(char c) => c < 0x250 && char.IsLetter(c);

    public static bool IsWordChar(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
    }
}
