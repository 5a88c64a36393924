// The BPE merge engine shared by byte-level and SentencePiece-style tokenizers: symbols in a linked list, candidate
// pairs in a priority queue ordered by (merge rank, position), results cached per piece.
using System.Collections.Concurrent;
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal sealed class BpeModel
{
    private const int CacheLimit = 50_000;
    private const int MaxCachedPieceLength = 256; // long pieces (runs of CJK text, whitespace) rarely repeat

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly string?[] _idToToken;
    private readonly Dictionary<long, Merge> _merges;
    // Score mode (SentencePiece GGUF vocabularies have scores instead of merges): rank of a merge = rank of the
    // merged token when all tokens are sorted by descending score.
    private readonly int[]? _scoreRank;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly int[]? _byteFallbackIds;
    private readonly string _source;

    private readonly record struct Merge(int Rank, int Id);

    /// <param name="merges">Merge rules in rank order (null in score mode).</param>
    /// <param name="scores">Per-id scores (score mode) or null.</param>
    public BpeModel(Dictionary<string, int> vocab, string?[]? idToToken, IReadOnlyList<MergeRule>? merges,
        float[]? scores, string source, bool ignoreMerges = false, bool byteFallback = false, int? unkId = null, bool fuseUnk = false)
    {
        _vocab = vocab;
        _source = source;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _idToToken = idToToken ?? [];
        IgnoreMerges = ignoreMerges;
        UnkId = unkId;
        FuseUnk = fuseUnk;
        _merges = new Dictionary<long, Merge>(merges?.Count ?? 0);
        if (merges is not null)
        {
            Span<char> buffer = stackalloc char[256];
            for (int rank = 0; rank < merges.Count; rank++)
            {
                var rule = merges[rank];
                ReadOnlySpan<char> left = rule.Left, right = rule.Right;
                if (!_lookup.TryGetValue(left, out int l) || !_lookup.TryGetValue(right, out int r))
                    throw new EngineException($"{source}: merge #{rank} \"{rule}\" uses a token that is not in the vocabulary.");
                int length = left.Length + right.Length;
                Span<char> joined = length <= buffer.Length ? buffer[..length] : new char[length];
                left.CopyTo(joined);
                right.CopyTo(joined[left.Length..]);
                if (!_lookup.TryGetValue(joined, out int merged))
                    throw new EngineException($"{source}: merge #{rank} \"{rule}\" produces \"{joined}\", which is not in the vocabulary.");
                // The first (lowest-rank) occurrence of a pair wins, as in Hugging Face tokenizers.
                _merges.TryAdd(Key(l, r), new Merge(rank, merged));
            }
        }
        else if (scores is not null)
        {
            var order = Enumerable.Range(0, scores.Length).ToArray();
            // Higher score merges first; ties go to the lower id, as in llama.cpp's SentencePiece port.
            Array.Sort(order, (a, b) => scores[b] != scores[a] ? scores[b].CompareTo(scores[a]) : a.CompareTo(b));
            _scoreRank = new int[scores.Length];
            for (int i = 0; i < order.Length; i++) _scoreRank[order[i]] = i;
        }
        if (byteFallback)
        {
            _byteFallbackIds = new int[256];
            for (int b = 0; b < 256; b++)
            {
                if (!vocab.TryGetValue($"<0x{b:X2}>", out _byteFallbackIds[b]))
                    throw new EngineException($"{source}: byte_fallback is on but the vocabulary lacks the byte token <0x{b:X2}>.");
            }
        }
    }

    public bool IgnoreMerges { get; }
    public int? UnkId { get; }
    public bool FuseUnk { get; }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>Encodes one pre-tokenized piece. Results are cached under the piece as given; <paramref name="toAlphabet"/>
    /// (byte-level models: UTF-8 bytes to GPT-2 characters) runs only on a cache miss.</summary>
    public void Encode(string piece, List<int> output, Func<string, string>? toAlphabet = null)
    {
        if (piece.Length == 0) return;
        if (_cache.TryGetValue(piece, out var cached))
        {
            output.AddRange(cached);
            return;
        }
        string symbols = toAlphabet is null ? piece : toAlphabet(piece);
        int[] ids = IgnoreMerges && _vocab.TryGetValue(symbols, out int whole) ? [whole] : ApplyMerges(symbols);
        if (piece.Length <= MaxCachedPieceLength)
        {
            if (_cache.Count >= CacheLimit) _cache.Clear();
            _cache.TryAdd(piece, ids);
        }
        output.AddRange(ids);
    }

    private int[] ApplyMerges(string piece)
    {
        // Initial symbols: one per code point; unknown code points fall back to byte tokens, else to unk.
        var ids = new List<int>(piece.Length);
        Span<byte> utf8 = stackalloc byte[4];
        bool lastWasUnk = false;
        for (int i = 0; i < piece.Length; i++)
        {
            int len = char.IsHighSurrogate(piece[i]) && i + 1 < piece.Length && char.IsLowSurrogate(piece[i + 1]) ? 2 : 1;
            var symbol = piece.AsSpan(i, len);
            i += len - 1;
            if (_lookup.TryGetValue(symbol, out int id))
            {
                ids.Add(id);
                lastWasUnk = false;
            }
            else if (_byteFallbackIds is not null)
            {
                int n = Encoding.UTF8.GetBytes(symbol, utf8);
                for (int b = 0; b < n; b++) ids.Add(_byteFallbackIds[utf8[b]]);
                lastWasUnk = false;
            }
            else if (UnkId is int unk)
            {
                if (!(FuseUnk && lastWasUnk)) ids.Add(unk);
                lastWasUnk = true;
            }
            else
            {
                int codePoint = symbol.Length == 2 ? char.ConvertToUtf32(symbol[0], symbol[1]) : symbol[0];
                throw new EngineException($"{_source}: character U+{codePoint:X4} is not in the vocabulary and the model has neither byte_fallback nor an unk_token.");
            }
        }
        if (ids.Count < 2) return ids.ToArray();

        int count = ids.Count;
        var symbols = ids.ToArray();
        var prev = new int[count];
        var next = new int[count];
        for (int i = 0; i < count; i++) { prev[i] = i - 1; next[i] = i + 1 < count ? i + 1 : -1; }
        var alive = new bool[count];
        Array.Fill(alive, true);

        var queue = new PriorityQueue<(int Left, int LeftId, int RightId, int Merged), long>();
        for (int i = 0; i + 1 < count; i++) Enqueue(queue, i, symbols[i], symbols[i + 1]);

        while (queue.TryDequeue(out var cand, out _))
        {
            int left = cand.Left;
            int right = next[left];
            // Stale entries: one side has merged since the pair was queued.
            if (!alive[left] || right < 0 || symbols[left] != cand.LeftId || symbols[right] != cand.RightId) continue;
            symbols[left] = cand.Merged;
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) Enqueue(queue, prev[left], symbols[prev[left]], symbols[left]);
            if (next[left] >= 0) Enqueue(queue, left, symbols[left], symbols[next[left]]);
        }

        var result = new List<int>(count);
        for (int i = 0; i >= 0; i = next[i]) result.Add(symbols[i]);
        return result.ToArray();
    }

    private void Enqueue(PriorityQueue<(int, int, int, int), long> queue, int left, int leftId, int rightId)
    {
        if (TryGetMerge(leftId, rightId, out int rank, out int merged))
            queue.Enqueue((left, leftId, rightId, merged), ((long)rank << 32) | (uint)left);
    }

    private bool TryGetMerge(int leftId, int rightId, out int rank, out int merged)
    {
        if (_scoreRank is null)
        {
            bool found = _merges.TryGetValue(Key(leftId, rightId), out var m);
            rank = m.Rank;
            merged = m.Id;
            return found;
        }
        rank = merged = 0;
        string? l = _idToToken[leftId], r = _idToToken[rightId];
        if (l is null || r is null) return false;
        int total = l.Length + r.Length;
        Span<char> buffer = total <= 256 ? stackalloc char[total] : new char[total];
        l.AsSpan().CopyTo(buffer);
        r.AsSpan().CopyTo(buffer[l.Length..]);
        if (!_lookup.TryGetValue(buffer, out merged)) return false;
        rank = _scoreRank[merged];
        return true;
    }
}

/// <summary>One merge rule "left right", stored as the source text and where its two halves lie, so that reading
/// 150k rules allocates nothing beyond the lines themselves.</summary>
internal readonly record struct MergeRule(string Text, int LeftLength, int RightStart)
{
    public ReadOnlySpan<char> Left => Text.AsSpan(0, LeftLength);
    public ReadOnlySpan<char> Right => Text.AsSpan(RightStart);

    /// <summary>Parses "left right" (exactly one separating space; tokens never contain spaces), or null.</summary>
    public static MergeRule? FromLine(string line)
    {
        int space = line.IndexOf(' ');
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0) return null;
        return new MergeRule(line, space, space + 1);
    }

    public static MergeRule FromPair(string left, string right) => new(left + right, left.Length, left.Length);

    public override string ToString() => $"{Left} {Right}";
}
