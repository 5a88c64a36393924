// Exact match and token F1 exactly as the official SQuAD v1.1 evaluation script (evaluate-v1.1.py) defines them.
using System.Text;

namespace RagTune.Eval.Metrics;

public static class SquadMetric
{
    // string.punctuation
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /// <summary>normalize_answer: lower, remove punctuation, remove articles (a/an/the), collapse whitespace.</summary>
    public static string Normalize(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        var lower = PyText.Lower(s);
        var noPunc = new StringBuilder(lower.Length);
        foreach (var ch in lower)
            if (Punctuation.IndexOf(ch) < 0) noPunc.Append(ch);
        return string.Join(' ', PyText.Split(RemoveArticles(noPunc.ToString())));
    }

    // re.sub(r'\b(a|an|the)\b', ' ', text): a maximal run of word characters that is exactly a/an/the becomes a space.
    private static string RemoveArticles(string text)
    {
        var runes = PyText.Runes(text);
        var sb = new StringBuilder(text.Length);
        int i = 0;
        while (i < runes.Count)
        {
            if (!IsWord(runes[i])) { sb.Append(runes[i].ToString()); i++; continue; }
            int j = i;
            while (j < runes.Count && IsWord(runes[j])) j++;
            var word = PyText.Join(runes, i, j);
            sb.Append(word is "a" or "an" or "the" ? " " : word);
            i = j;
        }
        return sb.ToString();
    }

    private static bool IsWord(Rune r) => PyText.IsAlnum(r) || r.Value == '_';

    public static bool ExactMatch(string prediction, string groundTruth) =>
        Normalize(prediction) == Normalize(groundTruth);

    public static double F1(string prediction, string groundTruth)
    {
        var predTokens = PyText.Split(Normalize(prediction));
        var goldTokens = PyText.Split(Normalize(groundTruth));
        var goldCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in goldTokens) goldCounts[t] = goldCounts.GetValueOrDefault(t) + 1;
        int numSame = 0;
        foreach (var t in predTokens)
        {
            // Counter intersection: each prediction token consumes one matching gold occurrence.
            if (goldCounts.TryGetValue(t, out var c) && c > 0) { numSame++; goldCounts[t] = c - 1; }
        }
        if (numSame == 0) return 0;
        double precision = 1.0 * numSame / predTokens.Count;
        double recall = 1.0 * numSame / goldTokens.Count;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>metric_max_over_ground_truths(exact_match_score, …) as 0 or 1.</summary>
    public static double ExactMatch(string prediction, IReadOnlyList<string> groundTruths)
    {
        RequireReferences(groundTruths);
        foreach (var g in groundTruths)
            if (ExactMatch(prediction, g)) return 1;
        return 0;
    }

    public static double F1(string prediction, IReadOnlyList<string> groundTruths)
    {
        RequireReferences(groundTruths);
        double best = double.NegativeInfinity;
        foreach (var g in groundTruths) best = Math.Max(best, F1(prediction, g));
        return best;
    }

    internal static void RequireReferences(IReadOnlyList<string> refs)
    {
        ArgumentNullException.ThrowIfNull(refs);
        if (refs.Count == 0)
            throw new EvalException("references: found an empty list; expected at least one reference answer (max over references is undefined)");
    }
}
