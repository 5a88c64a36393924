// SentencePiece Unigram tokenizers (XLM-R, bge-m3, the bge-rerankers, T5): "▁"-marked text segmented by UnigramModel,
// usually after SentencePiece's own normalization rules (PrecompiledNormalizer).
namespace RagTune.Engine.Tokenizers;

public sealed class UnigramTokenizer : TokenizerBase
{
    private readonly UnigramModel _model;
    private readonly bool _stripLeadingSpace;

    internal UnigramTokenizer(TokenizerParts parts, UnigramModel model, bool stripLeadingSpace) : base(parts)
    {
        _model = model;
        _stripLeadingSpace = stripLeadingSpace;
    }

    public override TokenizerKind Kind => TokenizerKind.Unigram;

    private protected override void EncodePiece(string piece, List<int> output) => _model.Encode(piece, output);

    // The segmentation is deterministic, so running it again gives the ranges of the ids the piece was encoded to.
    private protected override void AddTokenSpans(string piece, ReadOnlySpan<int> ids, List<(int Start, int End)> spans) =>
        _model.Encode(piece, new List<int>(ids.Length), spans);

    private protected override void AppendModelToken(string token, bool first, List<byte> output) =>
        MetaspaceDecoding.AppendToken(token, first, _stripLeadingSpace, _model.ByteFallback, output);
}
