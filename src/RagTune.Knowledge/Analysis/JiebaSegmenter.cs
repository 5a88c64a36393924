// The jieba segmenter (0.42.1 semantics): re_han_default blocks → prefix-dictionary DAG → max log-probability route,
// with finalseg's HMM for runs of unknown single characters; cut_for_search adds in-dictionary 2/3-grams of long words.
namespace RagTune.Knowledge.Analysis;

public sealed class JiebaSegmenter
{
    private readonly JiebaDictionary _dict;
    private readonly JiebaHmm _hmm;

    public JiebaSegmenter(JiebaDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        _dict = dictionary;
        _hmm = JiebaHmm.Default;
    }

    public JiebaDictionary Dictionary => _dict;

    /// <summary>jieba.lcut(text, HMM=hmm).</summary>
    public IReadOnlyList<string> Cut(string text, bool hmm = true) => Materialize(text, searchMode: false, hmm);

    /// <summary>jieba.lcut_for_search(text, HMM=hmm).</summary>
    public IReadOnlyList<string> CutForSearch(string text, bool hmm = true) => Materialize(text, searchMode: true, hmm);

    private List<string> Materialize(string text, bool searchMode, bool hmm)
    {
        ArgumentNullException.ThrowIfNull(text);
        var spans = new List<(int Start, int Length)>();
        CutSpans(text, searchMode, hmm, spans);
        var words = new List<string>(spans.Count);
        foreach (var (start, length) in spans) words.Add(text.Substring(start, length));
        return words;
    }

    /// <summary>
    /// Appends the words of <paramref name="text"/> as (start, length) ranges, in jieba's order. Every word is a
    /// substring of the input; in search mode the sub-grams precede the word they come from.
    /// </summary>
    public void CutSpans(ReadOnlySpan<char> text, bool searchMode, bool hmm, List<(int Start, int Length)> output)
    {
        if (!searchMode)
        {
            Cut(text, hmm, output);
            return;
        }
        var words = new List<(int Start, int Length)>();
        Cut(text, hmm, words);
        foreach (var (start, length) in words)
        {
            AddSearchGrams(text, start, length, output);
            output.Add((start, length));
        }
    }

    /// <summary>cut_for_search's extra pieces of one word: its in-dictionary 2-grams (words longer than 2), then 3-grams (longer than 3).</summary>
    internal void AddSearchGrams(ReadOnlySpan<char> text, int start, int length, List<(int Start, int Length)> output)
    {
        if (length > 2) AddGrams(text, start, length, 2, output);
        if (length > 3) AddGrams(text, start, length, 3, output);
    }

    private void AddGrams(ReadOnlySpan<char> text, int start, int length, int n, List<(int, int)> output)
    {
        for (int i = 0; i + n <= length; i++)
            if (_dict.TryGetFrequency(text.Slice(start + i, n), out int f) && f > 0) output.Add((start + i, n));
    }

    // jieba's cut: split on re_han_default; other text splits on re_skip (\r\n|\s) and then into single code points.
    private void Cut(ReadOnlySpan<char> text, bool hmm, List<(int, int)> output)
    {
        int i = 0;
        while (i < text.Length)
        {
            if (IsHanDefault(text[i]))
            {
                int j = i;
                while (j < text.Length && IsHanDefault(text[j])) j++;
                if (hmm) CutDag(text[i..j], i, output);
                else CutDagNoHmm(text[i..j], i, output);
                i = j;
            }
            else if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                output.Add((i, 2));
                i += 2;
            }
            else
            {
                int len = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
                output.Add((i, len));
                i += len;
            }
        }
    }

    // re_han_default = [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]
    internal static bool IsHanDefault(char c) =>
        JiebaHmm.IsHan(c) || char.IsAsciiLetterOrDigit(c) || c is '+' or '#' or '&' or '.' or '_' or '%' or '-';

    // route[idx] = max over x in DAG[idx] of (log(freq(sentence[idx..x]) or 1) - log(total) + route[x+1]); ties → larger x.
    private int[] Route(ReadOnlySpan<char> s)
    {
        int n = s.Length;
        var score = new double[n + 1];
        var next = new int[n + 1];
        double logTotal = Math.Log(_dict.Total);
        for (int idx = n - 1; idx >= 0; idx--)
        {
            double best = double.NegativeInfinity;
            int bestX = -1;
            bool any = false;
            for (int i = idx; i < n; i++)
            {
                if (!_dict.TryGetFrequency(s[idx..(i + 1)], out int f)) break;
                if (f > 0)
                {
                    Consider(Math.Log(f) - logTotal + score[i + 1], i, ref best, ref bestX);
                    any = true;
                }
            }
            if (!any)
            {
                // DAG[idx] = [idx]; FREQ.get(...) or 1 (a pure prefix or an unknown character counts as 1).
                Consider(Math.Log(1) - logTotal + score[idx + 1], idx, ref best, ref bestX);
            }
            score[idx] = best;
            next[idx] = bestX;
        }
        return next;
    }

    private static void Consider(double value, int x, ref double best, ref int bestX)
    {
        if (bestX < 0 || value > best || (value == best && x > bestX))
        {
            best = value;
            bestX = x;
        }
    }

    private void CutDag(ReadOnlySpan<char> s, int offset, List<(int, int)> output)
    {
        int[] route = Route(s);
        int n = s.Length, x = 0, bufStart = 0, bufLen = 0;
        while (x < n)
        {
            int y = route[x] + 1;
            if (y - x == 1)
            {
                if (bufLen == 0) bufStart = x;
                bufLen++;
            }
            else
            {
                FlushBuffer(s, offset, bufStart, bufLen, output);
                bufLen = 0;
                output.Add((offset + x, y - x));
            }
            x = y;
        }
        FlushBuffer(s, offset, bufStart, bufLen, output);
    }

    // A run of single characters: one char stays; a run that is not itself a dictionary word goes to the HMM;
    // a run that is a word (and was still cut into chars by the route) stays as chars.
    private void FlushBuffer(ReadOnlySpan<char> s, int offset, int start, int length, List<(int, int)> output)
    {
        if (length == 0) return;
        if (length == 1)
        {
            output.Add((offset + start, 1));
            return;
        }
        var buf = s.Slice(start, length);
        if (!_dict.TryGetFrequency(buf, out int f) || f == 0)
        {
            _hmm.Cut(buf, offset + start, _dict.ForceSplitWords, output);
            return;
        }
        for (int k = 0; k < length; k++) output.Add((offset + start + k, 1));
    }

    // __cut_DAG_NO_HMM: route words, with consecutive single ASCII letters/digits glued together.
    private void CutDagNoHmm(ReadOnlySpan<char> s, int offset, List<(int, int)> output)
    {
        int[] route = Route(s);
        int n = s.Length, x = 0, bufStart = 0, bufLen = 0;
        while (x < n)
        {
            int y = route[x] + 1;
            if (y - x == 1 && char.IsAsciiLetterOrDigit(s[x]))
            {
                if (bufLen == 0) bufStart = x;
                bufLen++;
            }
            else
            {
                if (bufLen > 0) output.Add((offset + bufStart, bufLen));
                bufLen = 0;
                output.Add((offset + x, y - x));
            }
            x = y;
        }
        if (bufLen > 0) output.Add((offset + bufStart, bufLen));
    }
}
