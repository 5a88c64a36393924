// Token-bounded chunking by whole sentences: greedy packing up to MaxTokens, overlap by whole trailing sentences,
// over-long sentences cut at line/word/char boundaries and flagged; every chunk is an exact span of the document text.
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Chunking;

public sealed class SentenceChunker
{
    // A packing unit: a whole sentence, or one piece of a sentence that alone exceeded the limit (Cut).
    private readonly record struct Unit(int Start, int End, int Tokens, bool Cut, int Segment);

    private readonly ITokenCounter _counter;
    private readonly SentenceSplitter _splitter;

    /// <param name="counter">Token counter (the model's tokenizer via <see cref="TokenizerTokenCounter"/>); defaults to <see cref="ApproximateTokenCounter"/>.</param>
    /// <param name="splitter">Sentence splitter; defaults to <see cref="SentenceSplitter.Default"/>.</param>
    public SentenceChunker(ITokenCounter? counter = null, SentenceSplitter? splitter = null)
    {
        _counter = counter ?? ApproximateTokenCounter.Instance;
        _splitter = splitter ?? SentenceSplitter.Default;
    }

    public ITokenCounter Counter => _counter;

    public IReadOnlyList<Chunk> Chunk(Document document, ChunkingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(document);
        options ??= new ChunkingOptions();
        options.Validate();
        var chunks = new List<Chunk>();
        ChunkRange(document, Sentences(document), new TextSpan(0, document.Text.Length), options.MaxTokens, options.OverlapTokens,
            options.RespectSections, level: 0, parentId: null, chunks);
        return chunks;
    }

    /// <summary>The document's sentences, split once and shared by every level and range chunked from them.</summary>
    internal IReadOnlyList<TextSpan> Sentences(Document document) => _splitter.Split(document.Text);

    /// <summary>Chunks <paramref name="range"/> of the document into <paramref name="output"/>, which holds only chunks of
    /// <paramref name="level"/>; indices continue from those already there. <paramref name="sentences"/> are the whole
    /// document's: a sentence the range cuts through (a parent that had to cut an over-long sentence) is clipped and counts
    /// as cut, so every level agrees on sentence boundaries.</summary>
    internal void ChunkRange(Document document, IReadOnlyList<TextSpan> sentences, TextSpan range, int maxTokens, int overlapTokens,
        bool respectSections, int level, string? parentId, List<Chunk> output)
    {
        var units = BuildUnits(document, sentences, range, maxTokens, respectSections);
        var text = document.Text;
        var nextIndex = output.Count;
        var i = 0;
        var firstNew = 0;  // units before this index are overlap repeated from the previous chunk
        while (i < units.Count)
        {
            var segment = units[i].Segment;
            var j = i;
            var sum = 0;
            while (j < units.Count && units[j].Segment == segment && (j == i || sum + units[j].Tokens <= maxTokens))
                sum += units[j++].Tokens;
            // Counters need not be additive (BPE merges across sentence joins): check the real span, shed overlap first.
            var tokens = _counter.Count(text[units[i].Start..units[j - 1].End]);
            while (tokens > maxTokens && j - i > 1)
            {
                if (i < firstNew) i++;
                else j--;
                tokens = _counter.Count(text[units[i].Start..units[j - 1].End]);
            }
            output.Add(MakeChunk(document, units, i, j, tokens, level, nextIndex++, parentId));

            firstNew = j;
            if (j >= units.Count || units[j].Segment != segment) { i = j; continue; }
            var k = 0;
            var overlap = 0;
            while (k + 1 < j - i && overlap + units[j - 1 - k].Tokens <= overlapTokens) overlap += units[j - 1 - k++].Tokens;
            while (k > 0 && overlap + units[j].Tokens > maxTokens) overlap -= units[j - k--].Tokens;
            i = j - k;
        }
    }

    private List<Unit> BuildUnits(Document document, IReadOnlyList<TextSpan> sentences, TextSpan range, int maxTokens, bool respectSections)
    {
        var text = document.Text;
        var boundaries = respectSections
            ? document.Sections.Select(s => s.Start).Where(p => p > range.Start && p < range.End).Distinct().Order().ToList()
            : [];
        var units = new List<Unit>();
        var segment = 0;
        for (var k = FirstEndingAfter(sentences, range.Start); k < sentences.Count && sentences[k].Start < range.End; k++)
        {
            var start = Math.Max(sentences[k].Start, range.Start);
            var end = Math.Min(sentences[k].End, range.End);
            while (start < end && char.IsWhiteSpace(text[start])) start++;
            while (end > start && char.IsWhiteSpace(text[end - 1])) end--;
            if (start == end) continue;
            var clipped = start != sentences[k].Start || end != sentences[k].End;
            var sentence = new TextSpan(start, end);
            while (segment < boundaries.Count && boundaries[segment] <= sentence.Start) segment++;
            var tokens = _counter.Count(text[sentence.Start..sentence.End]);
            if (tokens <= maxTokens) units.Add(new Unit(sentence.Start, sentence.End, tokens, clipped, segment));
            else foreach (var piece in CutSentence(text, sentence, maxTokens)) units.Add(piece with { Segment = segment });
        }
        return units;
    }

    private static int FirstEndingAfter(IReadOnlyList<TextSpan> sentences, int position)
    {
        int lo = 0, hi = sentences.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sentences[mid].End <= position) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Cuts an over-long sentence into pieces of at most <paramref name="maxTokens"/>: between lines (table rows,
    /// list items, wrapped text), then between words and CJK characters of a line that alone is too long, and inside a word
    /// only when the word alone is too long.</summary>
    private IEnumerable<Unit> CutSentence(string text, TextSpan sentence, int maxTokens)
    {
        var atoms = new List<(int Start, int End)>();
        foreach (var line in Lines(text, sentence))
        {
            if (Fits(text, line, maxTokens)) { atoms.Add(line); continue; }
            foreach (var word in Words(text, line))
            {
                if (Fits(text, word, maxTokens)) { atoms.Add(word); continue; }
                for (var p = word.Start; p < word.End;)
                {
                    var width = char.IsHighSurrogate(text[p]) && p + 1 < word.End ? 2 : 1;
                    atoms.Add((p, p + width));
                    p += width;
                }
            }
        }
        // Longest run of atoms from a that fits, by binary search on the real count (a run of letters split into single
        // characters would otherwise be over-counted one token per character). The search window is capped so a huge
        // unbroken line stays linear: no token spans more than 32 atoms.
        var a = 0;
        while (a < atoms.Count)
        {
            int lo = a + 1, hi = Math.Min(atoms.Count, a + 32 * maxTokens);
            while (lo < hi)
            {
                var mid = (lo + hi + 1) / 2;
                if (_counter.Count(text[atoms[a].Start..atoms[mid - 1].End]) <= maxTokens) lo = mid;
                else hi = mid - 1;
            }
            yield return new Unit(atoms[a].Start, atoms[lo - 1].End, _counter.Count(text[atoms[a].Start..atoms[lo - 1].End]), true, 0);
            a = lo;
        }
    }

    private bool Fits(string text, (int Start, int End) span, int maxTokens) => _counter.Count(text[span.Start..span.End]) <= maxTokens;

    /// <summary>Non-blank lines of the span, trimmed.</summary>
    private static IEnumerable<(int Start, int End)> Lines(string text, TextSpan span)
    {
        var i = span.Start;
        while (i < span.End)
        {
            var newline = text.IndexOf('\n', i, span.End - i);
            var end = newline < 0 ? span.End : newline;
            int a = i, b = end;
            while (a < b && char.IsWhiteSpace(text[a])) a++;
            while (b > a && char.IsWhiteSpace(text[b - 1])) b--;
            if (b > a) yield return (a, b);
            i = end + 1;
        }
    }

    /// <summary>Words (whitespace-delimited) with every CJK character as its own atom.</summary>
    private static IEnumerable<(int Start, int End)> Words(string text, (int Start, int End) span)
    {
        var i = span.Start;
        while (i < span.End)
        {
            if (char.IsWhiteSpace(text[i])) { i++; continue; }
            if (Scripts.IsCjkAt(text, i))
            {
                var width = char.IsHighSurrogate(text[i]) ? 2 : 1;
                yield return (i, i + width);
                i += width;
                continue;
            }
            var j = i;
            while (j < span.End && !char.IsWhiteSpace(text[j]) && !Scripts.IsCjkAt(text, j)) j++;
            yield return (i, j);
            i = j;
        }
    }

    private static Chunk MakeChunk(Document document, List<Unit> units, int first, int end, int tokens, int level, int index, string? parentId)
    {
        var start = units[first].Start;
        var stop = units[end - 1].End;
        var oversized = false;
        for (var u = first; u < end; u++) oversized |= units[u].Cut;
        return ChunkFactory.Create(document, start, stop, tokens, level, index, parentId, oversized);
    }
}
