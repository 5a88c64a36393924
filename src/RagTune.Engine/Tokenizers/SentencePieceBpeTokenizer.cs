// SentencePiece-style BPE (LLaMA-2, Mistral, InternLM2): "▁" marks spaces, unknown characters fall back to <0xNN> byte
// tokens; a SentencePiece model's user-defined pieces are kept whole (sentencepiece's bpe_model.cc freezes them: they
// never merge with a neighbour, so the text between them is encoded on its own).
using System.Text;

namespace RagTune.Engine.Tokenizers;

public sealed class SentencePieceBpeTokenizer : TokenizerBase
{
    private readonly BpeModel _model;
    private readonly bool _stripLeadingSpace;
    private readonly bool _byteTokens;
    private readonly (string Piece, int Id)[] _userDefined;   // longest first

    internal SentencePieceBpeTokenizer(TokenizerParts parts, BpeModel model, bool stripLeadingSpace, bool byteTokens,
        IReadOnlyList<(string Piece, int Id)>? userDefined = null) : base(parts)
    {
        _model = model;
        _stripLeadingSpace = stripLeadingSpace;
        _byteTokens = byteTokens;
        _userDefined = (userDefined ?? []).Where(u => u.Piece.Length > 0).OrderByDescending(u => u.Piece.Length).ToArray();
    }

    public override TokenizerKind Kind => TokenizerKind.SentencePieceBpe;

    private protected override void EncodePiece(string piece, List<int> output)
    {
        int start = 0;
        for (int i = 0; i < piece.Length && _userDefined.Length > 0;)
        {
            int match = Array.FindIndex(_userDefined, u => piece.AsSpan(i).StartsWith(u.Piece, StringComparison.Ordinal));
            if (match < 0)
            {
                i++;
                continue;
            }
            if (i > start) _model.Encode(piece[start..i], output);
            output.Add(_userDefined[match].Id);
            i += _userDefined[match].Piece.Length;
            start = i;
        }
        if (start == 0) _model.Encode(piece, output);
        else if (start < piece.Length) _model.Encode(piece[start..], output);
    }

    private protected override void AddTokenSpans(string piece, ReadOnlySpan<int> ids, List<(int Start, int End)> spans)
    {
        var codePoints = AlignedText.CodePoints(piece).ToList();
        int cp = 0, pendingBytes = 0;
        foreach (int id in ids)
        {
            if (cp >= codePoints.Count) return;
            string token = IdToToken(id) ?? "";
            var (start, length) = codePoints[cp];
            if (_byteTokens && MetaspaceDecoding.TryParseByteToken(token, out _))
            {
                // Byte-fallback tokens share the character whose UTF-8 bytes they are.
                if (pendingBytes == 0) pendingBytes = Encoding.UTF8.GetByteCount(piece.AsSpan(start, length));
                spans.Add((start, start + length));
                if (--pendingBytes == 0) cp++;
            }
            else if (id == _model.UnkId)
            {
                int end = start + length;
                cp++;
                while (_model.FuseUnk && cp < codePoints.Count && TokenToId(piece.Substring(codePoints[cp].Start, codePoints[cp].Length)) is null)
                    end = codePoints[cp].Start + codePoints[cp++].Length;
                spans.Add((start, end));
            }
            else
            {
                int end = start;
                for (int used = 0; used < token.Length && cp < codePoints.Count; cp++)
                {
                    used += codePoints[cp].Length;
                    end = codePoints[cp].Start + codePoints[cp].Length;
                }
                spans.Add((start, end));
            }
        }
    }

    private protected override void AppendModelToken(string token, bool first, List<byte> output) =>
        MetaspaceDecoding.AppendToken(token, first, _stripLeadingSpace, _byteTokens, output);
}
