// Exact match and F1 exactly as the official CMRC 2018 evaluation script (cmrc2018_evaluate.py) defines them; its
// nltk.word_tokenize is NLTK's own word tokenizer, ported (NltkWordTokenizer), without the punkt sentence split.
using System.Text;

namespace RagTune.Eval.Metrics;

public static class CmrcMetric
{
    // The script's sp_char list. Its '……' entry is two characters long, so `char in sp_char` never matches it:
    // a single '…' is neither removed nor split out — kept that way to reproduce the official numbers.
    private static readonly HashSet<int> SpChar = new("-:_*^/\\~`+=，。：？！“”；’《》·、「」（）－～『』".EnumerateRunes().Select(r => r.Value));

    private static bool IsSp(Rune r) => SpChar.Contains(r.Value);

    /// <summary>mixed_segmentation: lower + strip; each Chinese character (U+4E00..U+9FA5) and each listed punctuation
    /// mark is one segment; the text between them is word-tokenised. With <paramref name="removePunctuation"/> the
    /// listed marks are dropped.</summary>
    public static List<string> MixedSegmentation(string text, bool removePunctuation = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var input = PyText.Strip(PyText.Lower(text));
        var segs = new List<string>();
        var temp = new StringBuilder();
        foreach (var r in input.EnumerateRunes())
        {
            if (removePunctuation && IsSp(r)) continue;
            if (PyText.IsCmrcChinese(r) || IsSp(r))
            {
                if (temp.Length > 0) { segs.AddRange(WordTokenize(temp.ToString())); temp.Clear(); }
                segs.Add(r.ToString());
            }
            else temp.Append(r.ToString());
        }
        if (temp.Length > 0) segs.AddRange(WordTokenize(temp.ToString()));
        return segs;
    }

    /// <summary>nltk.word_tokenize on one non-Chinese run: NLTKWordTokenizer without punkt's sentence split (see docs/metrics.md).</summary>
    public static List<string> WordTokenize(string text) => NltkWordTokenizer.Tokenize(text);

    /// <summary>remove_punctuation: lower + strip, then drop the listed marks (English '.', ',', '?' are not in the list).</summary>
    public static string RemovePunctuation(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length);
        foreach (var r in PyText.Strip(PyText.Lower(text)).EnumerateRunes())
            if (!IsSp(r)) sb.Append(r.ToString());
        return sb.ToString();
    }

    /// <summary>calc_em_score: 1 when some reference equals the prediction after remove_punctuation.</summary>
    public static double ExactMatch(string prediction, IReadOnlyList<string> answers)
    {
        SquadMetric.RequireReferences(answers);
        var pred = RemovePunctuation(prediction);
        foreach (var a in answers)
            if (RemovePunctuation(a) == pred) return 1;
        return 0;
    }

    /// <summary>calc_f1_score: F1 from the longest common substring of the segment lists, max over references.</summary>
    public static double F1(string prediction, IReadOnlyList<string> answers)
    {
        SquadMetric.RequireReferences(answers);
        var predSegs = MixedSegmentation(prediction, removePunctuation: true);
        double best = double.NegativeInfinity;
        foreach (var a in answers)
        {
            var ansSegs = MixedSegmentation(a, removePunctuation: true);
            int lcs = Lcs.LongestCommonSubstring(ansSegs, predSegs);
            if (lcs == 0) { best = Math.Max(best, 0); continue; }
            double precision = 1.0 * lcs / predSegs.Count;
            double recall = 1.0 * lcs / ansSegs.Count;
            best = Math.Max(best, 2 * precision * recall / (precision + recall));
        }
        return best;
    }
}
