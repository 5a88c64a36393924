// Longest common substring (contiguous, as CMRC's find_lcs) and subsequence (as ROUGE-L) lengths over token lists.
namespace RagTune.Eval.Metrics;

internal static class Lcs
{
    public static int LongestCommonSubstring<T>(IReadOnlyList<T> a, IReadOnlyList<T> b) where T : IEquatable<T>
    {
        // Rolling row of find_lcs's (len(a)+1) x (len(b)+1) table.
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        int best = 0;
        for (int i = 0; i < a.Count; i++)
        {
            for (int j = 0; j < b.Count; j++)
            {
                cur[j + 1] = a[i].Equals(b[j]) ? prev[j] + 1 : 0;
                if (cur[j + 1] > best) best = cur[j + 1];
            }
            (prev, cur) = (cur, prev);
        }
        return best;
    }

    public static int LongestCommonSubsequence<T>(IReadOnlyList<T> a, IReadOnlyList<T> b) where T : IEquatable<T>
    {
        var prev = new int[b.Count + 1];
        var cur = new int[b.Count + 1];
        for (int i = 0; i < a.Count; i++)
        {
            cur[0] = 0;
            for (int j = 0; j < b.Count; j++)
                cur[j + 1] = a[i].Equals(b[j]) ? prev[j] + 1 : Math.Max(prev[j + 1], cur[j]);
            (prev, cur) = (cur, prev);
        }
        return prev[b.Count];
    }
}
