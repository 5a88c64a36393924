// A script-based language guess (zh / en / mixed) used as document metadata and for filters.
namespace RagTune.Knowledge.Text;

public static class LanguageGuesser
{
    private const int SampleChars = 100_000;

    /// <summary>
    /// "zh" when CJK characters dominate, "en" when Latin letters do, "mixed" in between, "und" without letters.
    /// A Latin letter weighs a third of a CJK character (a word of ~5 letters carries about as much as 1–2 Han characters),
    /// so Chinese prose with embedded English product names still reads as "zh".
    /// </summary>
    public static string Guess(string text)
    {
        double cjk = 0, latin = 0;
        var n = Math.Min(text.Length, SampleChars);
        for (var i = 0; i < n; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < n)
            {
                if (Scripts.IsCjk(char.ConvertToUtf32(c, text[i + 1]))) cjk++;
                i++;
            }
            else if (Scripts.IsCjk(c)) cjk++;
            else if (Scripts.IsLatinLetter(c)) latin++;
        }
        if (cjk + latin == 0) return "und";
        var share = cjk / (cjk + latin / 3);
        return share >= 0.7 ? "zh" : share <= 0.3 ? "en" : "mixed";
    }
}
