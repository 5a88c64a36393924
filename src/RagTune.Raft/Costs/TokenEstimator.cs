// Rough token counts for dry-run estimates without a tokenizer: one token per CJK character, one per four other characters.
using RagTune.Raft.Sources;

namespace RagTune.Raft.Costs;

/// <summary>
/// Heuristic used only for estimates (real runs count the server's usage): BPE tokenizers of Qwen/GPT-4-class models spend
/// roughly 1 token per Chinese character (often a little less) and ~4 characters per token of English text.
/// </summary>
public static class TokenEstimator
{
    public static long Estimate(string text)
    {
        long cjk = 0, other = 0;
        foreach (var ch in text)
        {
            if (LanguageDetection.IsCjk(ch))
                cjk++;
            else
                other++;
        }
        return cjk + (other + 3) / 4;
    }
}
