// SentencePiece-style BPE (LLaMA-2, Mistral): "▁" marks spaces, unknown characters fall back to <0xNN> byte tokens.
using System.Text;

namespace RagTune.Engine.Tokenizers;

public sealed class SentencePieceBpeTokenizer : TokenizerBase
{
    private readonly BpeModel _model;
    private readonly bool _stripLeadingSpace;
    private readonly bool _byteTokens;

    internal SentencePieceBpeTokenizer(TokenizerParts parts, BpeModel model, bool stripLeadingSpace, bool byteTokens) : base(parts)
    {
        _model = model;
        _stripLeadingSpace = stripLeadingSpace;
        _byteTokens = byteTokens;
    }

    public override TokenizerKind Kind => TokenizerKind.SentencePieceBpe;

    private protected override void EncodePiece(string piece, List<int> output) => _model.Encode(piece, output);

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
