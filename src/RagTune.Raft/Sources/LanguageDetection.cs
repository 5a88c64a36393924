// Decides whether a text is Chinese or English by the share of CJK characters among its letters.
namespace RagTune.Raft.Sources;

/// <summary>The two prompt languages RAFT ships.</summary>
public enum RaftLanguage
{
    English,
    Chinese,
}

/// <summary>CJK-share language detection: a text whose letters are at least 25 % CJK ideographs is Chinese.</summary>
public static class LanguageDetection
{
    public const double ChineseThreshold = 0.25;

    public static RaftLanguage Detect(string text)
    {
        var share = CjkShare(text);
        return share >= ChineseThreshold ? RaftLanguage.Chinese : RaftLanguage.English;
    }

    /// <summary>CJK characters / (CJK characters + other letters); 0 for a text without letters.</summary>
    public static double CjkShare(string text)
    {
        int cjk = 0, letters = 0;
        foreach (var ch in text)
        {
            if (IsCjk(ch))
                cjk++;
            else if (char.IsLetter(ch))
                letters++;
        }
        return cjk + letters == 0 ? 0 : cjk / (double)(cjk + letters);
    }

    public static bool IsCjk(char ch) =>
        ch is >= '\u4E00' and <= '\u9FFF'   // CJK unified ideographs
            or >= '\u3400' and <= '\u4DBF'  // extension A
            or >= '\uF900' and <= '\uFAFF'; // compatibility ideographs
}
