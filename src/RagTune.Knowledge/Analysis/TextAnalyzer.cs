// The analyzer pipeline: NFKC (+ full-width → half-width) → script runs → jieba words or CJK bigrams for Chinese,
// Unicode word segmentation for other scripts → invariant lower-case → optional stop words. Thread-safe.
using System.Globalization;
using System.Text;

namespace RagTune.Knowledge.Analysis;

/// <remarks>
/// Word rules for non-CJK text (a simplification of UAX #29 word boundaries, as Lucene's StandardTokenizer uses):
/// a word is a run of letters, marks, digits and '_'; letters and digits join ("mp3", "abc123"); an apostrophe
/// (' or ’) or '.' between two letters stays inside ("don't", "u.s.a"); '.' or ',' between two digits stays inside
/// ("3.14", "1,000"); a hyphen always splits ("state-of-the-art" → 4 words, as UAX #29 does); every other
/// punctuation or symbol separates words and is dropped.
/// CJK text (Han, kana, Hangul): in jieba mode, Han characters U+4E00–U+9FD5 (jieba's range) go through jieba;
/// other CJK characters are handled as in bigram mode, which emits overlapping bigrams of adjacent CJK characters
/// and a lone CJK character as a unigram (Lucene's CJKBigramFilter).
/// </remarks>
public sealed class TextAnalyzer : ITextAnalyzer
{
    private readonly JiebaSegmenter? _jieba;
    private readonly bool _searchMode;
    private readonly IReadOnlySet<string>? _stopWords;

    /// <param name="options">Resolved options: ChineseMode is Jieba or Bigram.</param>
    /// <param name="jieba">The segmenter, required for Jieba mode.</param>
    internal TextAnalyzer(AnalyzerOptions options, JiebaSegmenter? jieba)
    {
        if (options.ChineseMode == ChineseMode.Auto) throw new ArgumentException("Options must be resolved (Jieba or Bigram).", nameof(options));
        if (options.ChineseMode == ChineseMode.Jieba && jieba is null) throw new ArgumentNullException(nameof(jieba));
        Options = options;
        _jieba = options.ChineseMode == ChineseMode.Jieba ? jieba : null;
        _searchMode = options.SearchMode;
        _stopWords = options.StopWords ? StopWordList.Default : null;
    }

    /// <summary>The resolved options (ChineseMode is never Auto; DictionaryPath is the file actually used, null for the built-in dictionary).</summary>
    public AnalyzerOptions Options { get; }

    public IReadOnlyList<AnalyzedToken> Analyze(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (norm, starts, ends) = TextNormalizer.Normalize(text);
        var sink = new Sink(this, norm, starts, ends);
        int i = 0;
        while (i < norm.Length)
        {
            Rune r = Rune.GetRuneAt(norm, i);
            if (IsCjk(r))
            {
                int j = i;
                while (j < norm.Length && IsCjk(Rune.GetRuneAt(norm, j))) j += Rune.GetRuneAt(norm, j).Utf16SequenceLength;
                AnalyzeCjk(norm, i, j, ref sink);
                i = j;
            }
            else if (IsWordRune(r))
            {
                int end = ScanWord(norm, i);
                sink.Add(i, end - i);
                i = end;
            }
            else
            {
                i += r.Utf16SequenceLength;
            }
        }
        return sink.Tokens;
    }

    private void AnalyzeCjk(string norm, int start, int end, ref Sink sink)
    {
        if (_jieba is null)
        {
            Bigrams(norm, start, end, ref sink);
            return;
        }
        int i = start;
        var spans = new List<(int Start, int Length)>();
        var grams = new List<(int Start, int Length)>();
        while (i < end)
        {
            int j = i;
            if (JiebaHmm.IsHan(norm[i]))
            {
                while (j < end && JiebaHmm.IsHan(norm[j])) j++;
                spans.Clear();
                var run = norm.AsSpan(i, j - i);
                _jieba.CutSpans(run, searchMode: false, hmm: true, spans);
                foreach (var (s, l) in spans)
                {
                    if (_searchMode)
                    {
                        // cut_for_search's sub-words share their word's position, like synonyms in Lucene.
                        grams.Clear();
                        _jieba.AddSearchGrams(run, s, l, grams);
                        foreach (var (gs, gl) in grams) sink.Add(i + gs, gl, advance: false);
                    }
                    sink.Add(i + s, l);
                }
            }
            else
            {
                while (j < end && !JiebaHmm.IsHan(norm[j])) j++;
                Bigrams(norm, i, j, ref sink);
            }
            i = j;
        }
    }

    // CJKBigramFilter: overlapping bigrams over a run of adjacent CJK code points; a run of one gives a unigram.
    private static void Bigrams(string norm, int start, int end, ref Sink sink)
    {
        int first = Rune.GetRuneAt(norm, start).Utf16SequenceLength;
        if (start + first >= end)
        {
            sink.Add(start, end - start);
            return;
        }
        int a = start;
        while (a < end)
        {
            int la = Rune.GetRuneAt(norm, a).Utf16SequenceLength;
            int b = a + la;
            if (b >= end) break;
            int lb = Rune.GetRuneAt(norm, b).Utf16SequenceLength;
            sink.Add(a, la + lb);
            a = b;
        }
    }

    private static int ScanWord(string s, int i)
    {
        int end = i;
        while (end < s.Length)
        {
            Rune r = Rune.GetRuneAt(s, end);
            if (IsWordRune(r) && !IsCjk(r))
            {
                end += r.Utf16SequenceLength;
                continue;
            }
            // A joiner stays inside only between two word characters of the right kinds.
            if (end > i && end + 1 < s.Length && IsJoiner(s[end]) && Rune.TryGetRuneAt(s, end + 1, out Rune next) && !IsCjk(next))
            {
                Rune prev = PreviousRune(s, end);
                bool letters = Rune.IsLetter(prev) && Rune.IsLetter(next);
                bool digits = Rune.IsDigit(prev) && Rune.IsDigit(next);
                char c = s[end];
                if (((c is '\'' or '\u2019') && letters) || (c == '.' && (letters || digits)) || (c == ',' && digits))
                {
                    end += 1;
                    continue;
                }
            }
            break;
        }
        return end;
    }

    private static Rune PreviousRune(string s, int index) =>
        index >= 2 && char.IsLowSurrogate(s[index - 1]) && char.IsHighSurrogate(s[index - 2]) ? Rune.GetRuneAt(s, index - 2) : Rune.GetRuneAt(s, index - 1);

    private static bool IsJoiner(char c) => c is '\'' or '\u2019' or '.' or ',';

    private static bool IsWordRune(Rune r)
    {
        if (Rune.IsLetterOrDigit(r) || r.Value == '_') return true;
        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;
    }

    /// <summary>Han ideographs (incl. extensions and compatibility), the ideographic iteration marks, kana and Hangul.</summary>
    internal static bool IsCjk(Rune r)
    {
        int c = r.Value;
        return c is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0xF900 and <= 0xFAFF)
            or (>= 0x20000 and <= 0x3FFFF) or 0x3005 or 0x3007 or (>= 0x3021 and <= 0x3029)
            or (>= 0x3040 and <= 0x309F) or (>= 0x30A0 and <= 0x30FF) or (>= 0x31F0 and <= 0x31FF)
            or (>= 0xAC00 and <= 0xD7AF) or (>= 0x1100 and <= 0x11FF) or (>= 0x3130 and <= 0x318F);
    }

    // Collects tokens: maps normalised offsets back to the original text, lower-cases, drops stop words.
    private struct Sink(TextAnalyzer owner, string norm, int[]? starts, int[]? ends)
    {
        private int _position;
        public List<AnalyzedToken> Tokens { get; } = new();

        /// <param name="advance">False for a token at the same position as the next one (a search-mode sub-word).</param>
        public void Add(int start, int length, bool advance = true)
        {
            string term = norm.Substring(start, length).ToLowerInvariant();
            int position = advance ? _position++ : _position;
            if (owner._stopWords is { } stop && stop.Contains(term)) return;
            int origStart = starts is null ? start : starts[start];
            int origEnd = ends is null ? start + length : ends[start + length - 1];
            Tokens.Add(new AnalyzedToken(term, origStart, origEnd, position));
        }
    }
}
