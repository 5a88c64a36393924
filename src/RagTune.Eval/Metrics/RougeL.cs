// ROUGE-L: F-measure of the longest common subsequence between prediction and reference tokens (Lin, 2004),
// with β = 1 by default (F1, as Google's rouge-score reports it); English words and single CJK characters as tokens.
using System.Text;

namespace RagTune.Eval.Metrics;

public static class RougeL
{
    /// <summary>Lower-cased alphanumeric runs, each CJK ideograph on its own; everything else separates tokens.</summary>
    public static List<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var cur = new StringBuilder();
        foreach (var r in PyText.Lower(text).EnumerateRunes())
        {
            if (PyText.IsCjkIdeograph(r))
            {
                if (cur.Length > 0) { tokens.Add(cur.ToString()); cur.Clear(); }
                tokens.Add(r.ToString());
            }
            else if (PyText.IsAlnum(r)) cur.Append(r.ToString());
            else if (cur.Length > 0) { tokens.Add(cur.ToString()); cur.Clear(); }
        }
        if (cur.Length > 0) tokens.Add(cur.ToString());
        return tokens;
    }

    /// <summary>F_lcs = (1+β²)·P·R / (R + β²·P) with P = LCS/|prediction|, R = LCS/|reference|; max over references; 0 when
    /// either side has no tokens.</summary>
    public static double Score(string prediction, IReadOnlyList<string> references, double beta = 1.0)
    {
        SquadMetric.RequireReferences(references);
        if (!(beta > 0)) throw new EvalException($"ROUGE-L beta: found {beta}; expected a positive number");
        var pred = Tokenize(prediction);
        double best = 0;
        foreach (var reference in references)
        {
            var refTokens = Tokenize(reference);
            int lcs = Lcs.LongestCommonSubsequence(pred, refTokens);
            if (lcs == 0) continue;
            double p = (double)lcs / pred.Count, r = (double)lcs / refTokens.Count, b2 = beta * beta;
            best = Math.Max(best, (1 + b2) * p * r / (r + b2 * p));
        }
        return best;
    }
}
