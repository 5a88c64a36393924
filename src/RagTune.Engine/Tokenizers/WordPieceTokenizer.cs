// BERT WordPiece: greedy longest-match-first over each word, "##" marking continuation pieces, [UNK] for uncoverable words.
using System.Text;

namespace RagTune.Engine.Tokenizers;

public sealed class WordPieceTokenizer : TokenizerBase
{
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocab;
    private readonly int _unkId;
    private readonly string _prefix;
    private readonly int _maxInputCharsPerWord;
    private readonly bool _cleanUp;

    internal WordPieceTokenizer(TokenizerParts parts, int unkId, string continuingSubwordPrefix, int maxInputCharsPerWord, bool cleanUp)
        : base(parts)
    {
        _vocab = parts.Vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _unkId = unkId;
        _prefix = continuingSubwordPrefix;
        _maxInputCharsPerWord = maxInputCharsPerWord;
        _cleanUp = cleanUp;
    }

    public override TokenizerKind Kind => TokenizerKind.WordPiece;

    private protected override void EncodePiece(string word, List<int> output)
    {
        int chars = 0;
        foreach (var _ in word.EnumerateRunes()) chars++;
        if (chars > _maxInputCharsPerWord)
        {
            output.Add(_unkId);
            return;
        }
        int mark = output.Count;
        Span<char> buffer = stackalloc char[_prefix.Length + Math.Min(word.Length, 512)];
        Span<char> candidate = word.Length <= 512 ? buffer : new char[_prefix.Length + word.Length];
        int start = 0;
        while (start < word.Length)
        {
            int end = word.Length;
            int found = -1;
            while (end > start)
            {
                int prefixLength = start > 0 ? _prefix.Length : 0;
                if (prefixLength > 0) _prefix.AsSpan().CopyTo(candidate);
                word.AsSpan(start, end - start).CopyTo(candidate[prefixLength..]);
                if (_vocab.TryGetValue(candidate[..(prefixLength + end - start)], out found)) break;
                found = -1;
                end--;
                if (end > start && char.IsLowSurrogate(word[end])) end--; // never cut a surrogate pair
            }
            if (found < 0)
            {
                output.RemoveRange(mark, output.Count - mark);
                output.Add(_unkId);
                return;
            }
            output.Add(found);
            start = end;
        }
    }

    private protected override void AddTokenSpans(string word, ReadOnlySpan<int> ids, List<(int Start, int End)> spans)
    {
        if (ids.Length == 1 && ids[0] == _unkId)
        {
            spans.Add((0, word.Length));
            return;
        }
        int pos = 0;
        for (int k = 0; k < ids.Length; k++)
        {
            string token = IdToToken(ids[k]) ?? "";
            int length = k > 0 && token.StartsWith(_prefix, StringComparison.Ordinal) ? token.Length - _prefix.Length : token.Length;
            if (pos + length > word.Length) return;
            spans.Add((pos, pos + length));
            pos += length;
        }
    }

    private protected override void AppendModelToken(string token, bool first, List<byte> output)
    {
        if (!first)
        {
            if (token.StartsWith(_prefix, StringComparison.Ordinal) && _prefix.Length > 0) token = token[_prefix.Length..];
            else output.Add((byte)' ');
        }
        output.AddRange(Encoding.UTF8.GetBytes(token));
    }

    private protected override void AppendAddedToken(AddedToken token, bool first, List<byte> output) =>
        AppendModelToken(token.Content, first, output);

    internal override string CleanUp(string text) => !_cleanUp ? text : text
        .Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
        .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" do not", " don't").Replace(" 's", "'s")
        .Replace(" 've", "'ve").Replace(" 're", "'re");
}
