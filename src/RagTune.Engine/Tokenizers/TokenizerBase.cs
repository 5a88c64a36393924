// The pipeline every tokenizer shares: added tokens split out, normalizer, pre-tokenizer, model, post-processor;
// decoding through per-token bytes so that streaming and whole decodes agree.
using System.Text;

namespace RagTune.Engine.Tokenizers;

public abstract class TokenizerBase : ITokenizer, ITokenizerInfo
{
    private readonly string?[] _idToToken;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int> _addedToId = new(StringComparer.Ordinal);
    private readonly AddedToken?[] _addedById;
    private readonly AddedTokenMatcher _matcher;
    private readonly Normalizer? _normalizer;
    private readonly PreTokenizer? _preTokenizer;
    private readonly int[] _prefix;
    private readonly int[] _suffix;

    private protected TokenizerBase(TokenizerParts parts)
    {
        Source = parts.Source;
        _idToToken = parts.BuildIdToToken();
        _vocab = parts.Vocab;
        _addedById = new AddedToken?[_idToToken.Length];
        var added = parts.AddedTokens.OrderBy(t => t.Id).ToList();
        foreach (var t in added)
        {
            _addedById[t.Id] = t;
            _addedToId[t.Content] = t.Id;
        }
        AddedTokens = added;
        _matcher = new AddedTokenMatcher(added);
        _normalizer = parts.Normalizer;
        _preTokenizer = parts.PreTokenizer;
        StripLeadingSpaceUntilText = parts.StripLeadingSpaceUntilText;
        _prefix = parts.PrefixIds;
        _suffix = parts.SuffixIds;
        Pair = parts.Pair;
        BosId = parts.BosId;
        EosId = parts.EosId;
        PadId = parts.PadId;
        UnkId = parts.UnkId;
    }

    /// <summary>The file the tokenizer was loaded from.</summary>
    public string Source { get; }

    public abstract TokenizerKind Kind { get; }
    public int VocabSize => _idToToken.Length;
    public int? BosId { get; }
    public int? EosId { get; }
    public int? PadId { get; }
    public int? UnkId { get; }
    public IReadOnlyList<AddedToken> AddedTokens { get; }
    public IReadOnlyList<int> PrefixIds => _prefix;
    public IReadOnlyList<int> SuffixIds => _suffix;

    /// <summary>How the post-processor joins two texts (tokenizer.json's TemplateProcessing "pair", BertProcessing,
    /// RobertaProcessing), or null where the tokenizer declares none.</summary>
    public PairTemplate? Pair { get; }

    public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addSpecialTokens) ids.AddRange(_prefix);
        var segments = new List<AddedTokenMatcher.Segment>();
        _matcher.Split(text, parseSpecial, segments);
        var pieces = new List<string>();
        foreach (var segment in segments)
        {
            if (segment.TokenId >= 0)
            {
                ids.Add(segment.TokenId);
                continue;
            }
            PreTokenize(text, segment, pieces);
            foreach (var piece in pieces)
                if (piece.Length > 0) EncodePiece(piece, ids);
        }
        if (addSpecialTokens) ids.AddRange(_suffix);
        return ids.ToArray();
    }

    /// <summary>Encodes like <see cref="Encode"/> (same ids) and reports the input range of every id.</summary>
    public EncodedText EncodeWithOffsets(string text, bool addSpecialTokens = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = ReplaceLoneSurrogates(text); // keeps every index where it was
        var ids = new List<int>(text.Length / 3 + 4);
        var offsets = new List<(int Start, int End)>(ids.Capacity);
        if (addSpecialTokens) AddWithEmptyOffsets(_prefix, 0);
        var segments = new List<AddedTokenMatcher.Segment>();
        _matcher.Split(text, parseSpecial, segments);
        var pieces = new List<string>();
        var spans = new List<(int Start, int End)>();
        foreach (var segment in segments)
        {
            if (segment.TokenId >= 0)
            {
                ids.Add(segment.TokenId);
                offsets.Add((segment.Start, segment.Start + segment.Length));
                continue;
            }
            string normalized = PreTokenize(text, segment, pieces);
            string plain = text.Substring(segment.Start, segment.Length);
            var aligned = _normalizer is null ? AlignedText.Identity(plain) : _normalizer.NormalizeAligned(plain);
            // Should the aligned form ever differ from the real one, the ids still follow the real one and every token
            // of the segment gets the whole segment as its range.
            bool exact = aligned.Text == normalized;
            int position = 0;
            foreach (var piece in pieces)
            {
                if (piece.Length == 0) continue;
                int mark = ids.Count;
                EncodePiece(piece, ids);
                var pieceIds = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ids)[mark..];
                int at = -1, inserted = 0;
                if (exact) (at, inserted) = Locate(normalized, position, piece);
                spans.Clear();
                if (at >= 0) AddTokenSpans(piece, pieceIds, spans);
                if (at < 0 || spans.Count != pieceIds.Length)
                {
                    for (int k = 0; k < pieceIds.Length; k++) offsets.Add((segment.Start, segment.Start + segment.Length));
                    continue;
                }
                int pieceEnd = at + piece.Length - inserted;
                foreach (var (a, b) in spans)
                {
                    int from = Math.Clamp(at + a - inserted, at, pieceEnd), to = Math.Clamp(at + b - inserted, at, pieceEnd);
                    int start = aligned.PositionAt(from), end = to > from ? aligned.Ends[to - 1] : start;
                    offsets.Add((segment.Start + start, segment.Start + Math.Max(start, end)));
                }
                position = pieceEnd;
            }
        }
        if (addSpecialTokens) AddWithEmptyOffsets(_suffix, text.Length);
        return new EncodedText(ids.ToArray(), offsets.ToArray());

        void AddWithEmptyOffsets(int[] specials, int at)
        {
            ids.AddRange(specials);
            foreach (int _ in specials) offsets.Add((at, at));
        }
    }

    /// <summary>Normalizes one plain segment and cuts it into pieces; returns the normalized text.</summary>
    private string PreTokenize(string text, AddedTokenMatcher.Segment segment, List<string> pieces)
    {
        string plain = text.Substring(segment.Start, segment.Length);
        if (_normalizer is not null) plain = _normalizer.Normalize(plain);
        pieces.Clear();
        if (_preTokenizer is not null) _preTokenizer.Split(plain, segment.Start == 0, pieces);
        else pieces.Add(plain);
        return plain;
    }

    /// <summary>Where a pre-tokenized piece starts in the normalized text, at or after <paramref name="from"/>; a piece may
    /// begin with one inserted char (ByteLevel's prefix space, Metaspace's "▁"), and "▁" stands for a space.</summary>
    private static (int At, int Inserted) Locate(string normalized, int from, string piece)
    {
        bool canInsert = piece[0] is ' ' or '\u2581';
        for (int i = from; i <= normalized.Length; i++)
        {
            if (Matches(normalized, i, piece, 0)) return (i, 0);
            if (canInsert && Matches(normalized, i, piece, 1)) return (i, 1);
        }
        return (-1, 0);

        static bool Matches(string text, int at, string piece, int skip)
        {
            if (piece.Length - skip > text.Length - at || piece.Length - skip == 0) return false;
            for (int k = skip; k < piece.Length; k++)
            {
                char t = text[at + k - skip], p = piece[k];
                if (t != p && !(p == '\u2581' && t == ' ')) return false;
            }
            return true;
        }
    }

    /// <summary>For each id a piece was encoded to, the [start, end) chars of the piece it covers; adding fewer spans
    /// than ids means "unknown" and the caller falls back to coarse ranges.</summary>
    private protected abstract void AddTokenSpans(string piece, ReadOnlySpan<int> ids, List<(int Start, int End)> spans);

    /// <summary>.NET strings may hold unpaired surrogates, which are not text (Unicode normalization throws on them);
    /// they become U+FFFD, which is also what their UTF-8 encoding would give.</summary>
    private static string ReplaceLoneSurrogates(string text)
    {
        int first = text.AsSpan().IndexOfAnyInRange('\uD800', '\uDFFF');
        if (first < 0) return text;
        char[]? copy = null;
        for (int i = first; i < text.Length; i++)
        {
            if (!char.IsSurrogate(text[i])) continue;
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            copy ??= text.ToCharArray();
            copy[i] = '\uFFFD';
        }
        return copy is null ? text : new string(copy);
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        bool first = true;
        foreach (int id in ids)
        {
            int before = bytes.Count;
            if (AppendTokenBytes(id, skipSpecialTokens, first, bytes) && (bytes.Count > before || !StripLeadingSpaceUntilText)) first = false;
        }
        return CleanUp(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
    }

    public IStreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new StreamingDecoder(this, skipSpecialTokens);

    public int? TokenToId(string token) =>
        _addedToId.TryGetValue(token, out int id) || _vocab.TryGetValue(token, out id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

    /// <summary>See <see cref="TokenizerParts.StripLeadingSpaceUntilText"/>.</summary>
    internal bool StripLeadingSpaceUntilText { get; }

    public bool IsSpecial(int id) => (uint)id < (uint)_addedById.Length && _addedById[id]?.Special == true;

    /// <summary>Appends the bytes of one id; false when the id produces nothing (skipped special, or an id outside the
    /// vocabulary — models pad their embedding tables beyond it, and Hugging Face skips such ids too).</summary>
    internal bool AppendTokenBytes(int id, bool skipSpecialTokens, bool first, List<byte> output)
    {
        if ((uint)id >= (uint)_idToToken.Length || _idToToken[id] is not string token) return false;
        if (_addedById[id] is AddedToken added)
        {
            if (added.Special && skipSpecialTokens) return false;
            AppendAddedToken(added, first, output);
            return true;
        }
        AppendModelToken(token, first, output);
        return true;
    }

    /// <summary>Encodes one pre-tokenized piece of normalized text.</summary>
    private protected abstract void EncodePiece(string piece, List<int> output);

    /// <summary>Appends the bytes of a vocabulary token; <paramref name="first"/> is true when nothing precedes it.</summary>
    private protected abstract void AppendModelToken(string token, bool first, List<byte> output);

    private protected virtual void AppendAddedToken(AddedToken token, bool first, List<byte> output) =>
        output.AddRange(Encoding.UTF8.GetBytes(token.Content));

    /// <summary>Final touch on decoded text (WordPiece's clean-up of spaces before punctuation).</summary>
    internal virtual string CleanUp(string text) => text;

    public override string ToString() =>
        $"{Kind} tokenizer, {VocabSize} ids ({AddedTokens.Count} added), from {Source}";
}
