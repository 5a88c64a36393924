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
        _prefix = parts.PrefixIds;
        _suffix = parts.SuffixIds;
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

    public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
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
            string plain = text.Substring(segment.Start, segment.Length);
            if (_normalizer is not null) plain = _normalizer.Normalize(plain);
            pieces.Clear();
            if (_preTokenizer is not null) _preTokenizer.Split(plain, segment.Start == 0, pieces);
            else pieces.Add(plain);
            foreach (var piece in pieces)
                if (piece.Length > 0) EncodePiece(piece, ids);
        }
        if (addSpecialTokens) ids.AddRange(_suffix);
        return ids.ToArray();
    }

    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false)
    {
        var bytes = new List<byte>(ids.Length * 4);
        bool first = true;
        foreach (int id in ids)
            if (AppendTokenBytes(id, skipSpecialTokens, first, bytes)) first = false;
        return CleanUp(Encoding.UTF8.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes)));
    }

    public IStreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => new StreamingDecoder(this, skipSpecialTokens);

    public int? TokenToId(string token) =>
        _addedToId.TryGetValue(token, out int id) || _vocab.TryGetValue(token, out id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)_idToToken.Length ? _idToToken[id] : null;

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
