// jieba's finalseg: a BMES hidden Markov model (Viterbi) that joins runs of unknown single characters into words.
// Tables come from jieba's prob_start/prob_trans/prob_emit (MIT), converted by tools/reference/jieba_hmm_tables.py.
using System.Buffers.Binary;

namespace RagTune.Knowledge.Analysis;

internal sealed class JiebaHmm
{
    // jieba's MIN_FLOAT: the log-probability of a missing emission or transition.
    private const double MinFloat = -3.14e100;
    private const int B = 0, M = 1, E = 2, S = 3;

    // Previous states allowed for each state (jieba's PrevStatus), listed in ascending letter order so that
    // ">=" in the max reproduces Python's tie-break on (prob, state) tuples: the larger letter wins.
    private static readonly int[][] Prev = [[E, S], [B, M], [B, M], [E, S]];

    private readonly double[] _start = new double[4];
    private readonly double[,] _trans = new double[4, 4];
    private readonly Dictionary<char, double>[] _emit = new Dictionary<char, double>[4];

    private static readonly Lazy<JiebaHmm> DefaultModel = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    public static JiebaHmm Default => DefaultModel.Value;

    private JiebaHmm() { }

    private static JiebaHmm LoadEmbedded()
    {
        using var stream = typeof(JiebaHmm).Assembly.GetManifestResourceStream("RagTune.Knowledge.Analysis.Resources.jieba_hmm.bin")
            ?? throw new KnowledgeException("Embedded resource 'jieba_hmm.bin' is missing from RagTune.Knowledge; expected the jieba HMM tables.");
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        return Parse(ms.ToArray());
    }

    private static JiebaHmm Parse(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8 || !data[..8].SequenceEqual("JBHMM1\0\0"u8))
            throw new KnowledgeException("jieba_hmm.bin: found a bad header; expected magic 'JBHMM1'.");
        var hmm = new JiebaHmm();
        int pos = 8;
        double ReadDouble(ReadOnlySpan<byte> d) { double v = BinaryPrimitives.ReadDoubleLittleEndian(d.Slice(pos, 8)); pos += 8; return v; }
        for (int s = 0; s < 4; s++) hmm._start[s] = ReadDouble(data);
        for (int s = 0; s < 4; s++)
            for (int t = 0; t < 4; t++) hmm._trans[s, t] = ReadDouble(data);
        for (int s = 0; s < 4; s++)
        {
            int count = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(pos, 4));
            pos += 4;
            var table = new Dictionary<char, double>(count);
            for (int i = 0; i < count; i++)
            {
                char ch = (char)BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(pos, 2));
                pos += 2;
                table[ch] = ReadDouble(data);
            }
            hmm._emit[s] = table;
        }
        return hmm;
    }

    private double Emit(int state, char ch) => _emit[state].TryGetValue(ch, out double p) ? p : MinFloat;

    // finalseg.cut: Han runs go through Viterbi, other text splits on re_skip ([a-zA-Z0-9]+(?:\.\d+)?%?).
    // Appends (start, length) pieces of text[start..start+length) relative to `offset`.
    public void Cut(ReadOnlySpan<char> text, int offset, HashSet<string>? forceSplit, List<(int Start, int Length)> output)
    {
        int i = 0;
        while (i < text.Length)
        {
            int j = i;
            if (IsHan(text[i]))
            {
                while (j < text.Length && IsHan(text[j])) j++;
                CutHan(text[i..j], offset + i, forceSplit, output);
            }
            else
            {
                while (j < text.Length && !IsHan(text[j])) j++;
                CutSkip(text[i..j], offset + i, output);
            }
            i = j;
        }
    }

    internal static bool IsHan(char c) => c >= '\u4E00' && c <= '\u9FD5';

    private static bool IsAsciiAlnum(char c) => char.IsAsciiLetterOrDigit(c);

    // re.split with the capturing group ([a-zA-Z0-9]+(?:\.\d+)?%?): matches and the non-empty text between them.
    private static void CutSkip(ReadOnlySpan<char> text, int offset, List<(int, int)> output)
    {
        int i = 0, pending = 0;
        while (i < text.Length)
        {
            if (!IsAsciiAlnum(text[i])) { i++; continue; }
            int j = i;
            while (j < text.Length && IsAsciiAlnum(text[j])) j++;
            if (j + 1 < text.Length && text[j] == '.' && char.IsAsciiDigit(text[j + 1]))
            {
                j += 2;
                while (j < text.Length && char.IsAsciiDigit(text[j])) j++;
            }
            if (j < text.Length && text[j] == '%') j++;
            if (i > pending) output.Add((offset + pending, i - pending));
            output.Add((offset + i, j - i));
            i = pending = j;
        }
        if (text.Length > pending) output.Add((offset + pending, text.Length - pending));
    }

    private void CutHan(ReadOnlySpan<char> obs, int offset, HashSet<string>? forceSplit, List<(int, int)> output)
    {
        int n = obs.Length;
        var v = new double[n, 4];
        var back = new int[n, 4];
        for (int y = 0; y < 4; y++) v[0, y] = _start[y] + Emit(y, obs[0]);
        for (int t = 1; t < n; t++)
        {
            for (int y = 0; y < 4; y++)
            {
                double em = Emit(y, obs[t]);
                double best = double.NegativeInfinity;
                int bestState = -1;
                foreach (int y0 in Prev[y])
                {
                    double p = v[t - 1, y0] + _trans[y0, y] + em;
                    if (bestState < 0 || p >= best) { best = p; bestState = y0; }
                }
                v[t, y] = best;
                back[t, y] = bestState;
            }
        }
        // max((V[last][y], y) for y in 'ES'): ties go to 'S'.
        int state = v[n - 1, S] >= v[n - 1, E] ? S : E;
        var path = new int[n];
        for (int t = n - 1; t >= 0; t--)
        {
            path[t] = state;
            if (t > 0) state = back[t, state];
        }

        int begin = 0, next = 0;
        for (int i = 0; i < n; i++)
        {
            switch (path[i])
            {
                case B: begin = i; break;
                case E: Emit(obs, offset, begin, i + 1 - begin, forceSplit, output); next = i + 1; break;
                case S: output.Add((offset + i, 1)); next = i + 1; break;
            }
        }
        if (next < n) Emit(obs, offset, next, n - next, forceSplit, output);
    }

    private static void Emit(ReadOnlySpan<char> obs, int offset, int start, int length, HashSet<string>? forceSplit, List<(int, int)> output)
    {
        if (length > 1 && forceSplit is { Count: > 0 } && forceSplit.GetAlternateLookup<ReadOnlySpan<char>>().Contains(obs.Slice(start, length)))
        {
            for (int k = 0; k < length; k++) output.Add((offset + start + k, 1));
            return;
        }
        output.Add((offset + start, length));
    }
}
