// SentencePiece's Unigram model (XLM-R, bge-m3, the bge-rerankers, T5): the segmentation of a piece that maximises the
// sum of the pieces' log-probability scores (Viterbi over every vocabulary match at every code point), as Hugging Face
// tokenizers' models/unigram/model.rs does it (encode_optimized): a code point that starts no single-character token
// gets the unknown token at min(score) - 10, ties keep the first path found, runs of unknown characters fuse into one
// token, and with byte fallback an unknown run becomes the <0xNN> tokens of its UTF-8 bytes. GGUF "t5" vocabularies
// follow llama.cpp's UGM variant of the same search (see the constructor's tokenTypes).
using System.Text;

namespace RagTune.Engine.Tokenizers;

internal sealed class UnigramModel
{
    private const double UnknownPenalty = 10.0;

    private readonly Dictionary<string, int> _ids;
    private readonly Dictionary<string, int> _match;  // the tokens segmentation may use (all of _ids but in GGUF mode)
    private readonly bool _relookUnknown;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly double[] _scores;
    private readonly Dictionary<(int Node, char C), int> _trie;  // node, next char → child node
    private readonly int?[] _tokenAt;                            // node → the token id that ends there
    private readonly double _unknownScore;
    private readonly int[]? _byteIds;      // <0x00>…<0xFF> with byte fallback
    private readonly string _source;

    /// <param name="pieces">(token, score) in id order; a token listed twice answers to its last id, as in Hugging Face.</param>
    /// <param name="tokenTypes">GGUF vocabularies (llama.cpp's UGM): llama_token_type per id. Then only normal,
    /// user-defined and unused tokens are matched, user-defined ones score 0, the unknown penalty starts from the lowest
    /// normal score and a fused unknown run stays unknown. Null: Hugging Face's rules (every token matched).</param>
    public UnigramModel(IReadOnlyList<(string Token, double Score)> pieces, int? unkId, bool byteFallback, string source,
        int[]? tokenTypes = null)
    {
        const int Normal = 1, UserDefined = 4, Unused = 5;
        _source = source;
        _ids = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        _match = tokenTypes is null ? _ids : new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        _relookUnknown = tokenTypes is null;
        _scores = new double[pieces.Count];
        double min = double.PositiveInfinity;
        for (int id = 0; id < pieces.Count; id++)
        {
            var (token, score) = pieces[id];
            int type = tokenTypes?[id] ?? Normal;
            _ids[token] = id;
            _scores[id] = type == UserDefined ? 0 : score;
            if (tokenTypes is null || type == Normal) min = Math.Min(min, score);
            if (tokenTypes is not null && type is not (Normal or UserDefined or Unused)) continue;
            _match[token] = id;
        }
        // The prefix trie over the tokens segmentation may use (chars, not UTF-8 bytes: same matches, since tokens are
        // whole characters). Node 0 is the root.
        _trie = new Dictionary<(int, char), int>();
        var tokenAt = new List<int?> { null };
        foreach (var (token, id) in _match)
        {
            int node = 0;
            foreach (char c in token)
            {
                if (!_trie.TryGetValue((node, c), out int child))
                {
                    child = tokenAt.Count;
                    tokenAt.Add(null);
                    _trie[(node, c)] = child;
                }
                node = child;
            }
            if (token.Length > 0) tokenAt[node] = id;
        }
        _tokenAt = tokenAt.ToArray();
        _lookup = _match.GetAlternateLookup<ReadOnlySpan<char>>();
        _unknownScore = min - UnknownPenalty;
        UnkId = unkId;
        if (byteFallback)
        {
            _byteIds = new int[256];
            for (int b = 0; b < 256; b++) _byteIds[b] = _ids.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
    }

    public int? UnkId { get; }

    public bool ByteFallback => _byteIds is not null;

    /// <summary>The vocabulary: token → id (the last id of a repeated token).</summary>
    public Dictionary<string, int> Vocab => _ids;

    /// <summary>Appends the ids of one pre-tokenized piece; <paramref name="spans"/>, when given, gets each id's
    /// [start, end) chars in the piece (byte-fallback ids share their characters' range).</summary>
    public void Encode(string piece, List<int> output, List<(int Start, int End)>? spans = null)
    {
        int n = piece.Length;
        if (n == 0) return;
        // best[e]: the best path over piece[..e] ends with a token piece[From..e] (From = -1: none yet).
        var best = new (double Score, int From, int Id)[n + 1];
        for (int i = 1; i <= n; i++) best[i] = (0, -1, 0);
        for (int start = 0; start < n; start = Next(piece, start))
        {
            double here = best[start].Score;
            int single = Next(piece, start);
            bool hasSingle = false;
            // Every token that starts here, shortest first, found by walking the prefix trie; a match must end on a
            // code point boundary.
            for (int node = 0, end = start; end < n;)
            {
                if (!_trie.TryGetValue((node, piece[end]), out node)) break;
                end++;
                if (_tokenAt[node] is int id && (end == n || !char.IsLowSurrogate(piece[end]) || !char.IsHighSurrogate(piece[end - 1])))
                {
                    Relax(end, here + _scores[id], start, id);
                    if (end == single) hasSingle = true;
                }
            }
            if (!hasSingle)
            {
                if (UnkId is not int unk)
                    throw new EngineException($"{_source}: no token covers \"{piece.Substring(start, single - start)}\" and the Unigram model has no unk_id.");
                Relax(single, here + _unknownScore, start, unk);
            }
        }

        // Back from the end; the result is reversed at the end.
        var tokens = new List<(int Start, int End, int Id)>();
        for (int end = n; end > 0;)
        {
            var (_, from, id) = best[end];
            if (id == UnkId && tokens.Count > 0 && tokens[^1].Id == UnkId)
                tokens[^1] = (from, tokens[^1].End, id); // fuse with the unknown run after it
            else
                tokens.Add((from, end, id));
            end = from;
        }
        tokens.Reverse();
        foreach (var (start, end, id) in tokens)
        {
            if (id != UnkId)
            {
                Add(id, start, end);
                continue;
            }
            // Hugging Face looks the fused run up again, then tries byte fallback, then gives the unknown id; llama.cpp
            // keeps it unknown.
            var text = piece.AsSpan(start, end - start);
            if (_relookUnknown && _lookup.TryGetValue(text, out int known)) Add(known, start, end);
            else if (!TryAddBytes(text, start, end)) Add(id, start, end);
        }

        void Relax(int end, double score, int from, int id)
        {
            if (best[end].From < 0 || score > best[end].Score) best[end] = (score, from, id);
        }

        void Add(int id, int start, int end)
        {
            output.Add(id);
            spans?.Add((start, end));
        }

        bool TryAddBytes(ReadOnlySpan<char> text, int start, int end)
        {
            if (_byteIds is null) return false;
            var bytes = Encoding.UTF8.GetBytes(text.ToArray());
            foreach (byte b in bytes)
                if (_byteIds[b] < 0) return false;
            foreach (byte b in bytes) Add(_byteIds[b], start, end);
            return true;
        }
    }

    /// <summary>The index after the code point at <paramref name="i"/>.</summary>
    private static int Next(string s, int i) =>
        char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? i + 2 : i + 1;
}
