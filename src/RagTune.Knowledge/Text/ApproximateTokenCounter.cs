// The default token count when no model is given: a cheap estimate shaped like byte-level BPE on zh/en text.
using System.Text;

namespace RagTune.Knowledge.Text;

/// <summary>
/// Estimates BPE tokens without a vocabulary. Rules (whitespace is free, it merges into the next token in BPE):
/// each CJK character (Han, kana, Hangul) = 1 token (Qwen/LLaMA-3 vocabularies merge some common pairs, so this errs high);
/// each run of other letters (a word) = ceil(length / 4), at least 1; each digit run = ceil(length / 3) (LLaMA-3 groups up to
/// three digits); each run of punctuation/symbols = ceil(length / 2). Counts are additive across whitespace and CJK boundaries,
/// which keeps greedy packing by summed sentence counts exact.
/// </summary>
public sealed class ApproximateTokenCounter : ITokenCounter
{
    public static ApproximateTokenCounter Instance { get; } = new();

    private enum Run { None, Word, Digits, Symbols }

    public int Count(string text)
    {
        var total = 0;
        var run = Run.None;
        var runLength = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            Run kind;
            if (Rune.IsWhiteSpace(rune) || Rune.IsControl(rune)) kind = Run.None;
            else if (Scripts.IsCjk(rune.Value)) { total += Close(run, runLength); run = Run.None; runLength = 0; total++; continue; }
            else if (Rune.IsDigit(rune)) kind = Run.Digits;
            else if (Scripts.IsWordChar(rune)) kind = Run.Word;
            else kind = Run.Symbols;

            if (kind != run) { total += Close(run, runLength); run = kind; runLength = 0; }
            if (kind != Run.None) runLength++;
        }
        return total + Close(run, runLength);
    }

    private static int Close(Run run, int length) => run switch
    {
        Run.Word => Math.Max(1, (length + 3) / 4),
        Run.Digits => (length + 2) / 3,
        Run.Symbols => (length + 1) / 2,
        _ => 0,
    };
}
