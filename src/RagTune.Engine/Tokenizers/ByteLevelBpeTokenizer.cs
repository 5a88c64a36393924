// Byte-level BPE (GPT-2, Qwen2/Qwen3, LLaMA-3): each piece's UTF-8 bytes become GPT-2 alphabet characters, then merge.
namespace RagTune.Engine.Tokenizers;

public sealed class ByteLevelBpeTokenizer : TokenizerBase
{
    private readonly BpeModel _model;

    internal ByteLevelBpeTokenizer(TokenizerParts parts, BpeModel model) : base(parts) => _model = model;

    public override TokenizerKind Kind => TokenizerKind.ByteLevelBpe;

    /// <summary>True when a piece that is itself in the vocabulary is emitted whole (LLaMA-3).</summary>
    public bool IgnoreMerges => _model.IgnoreMerges;

    private protected override void EncodePiece(string piece, List<int> output) => _model.Encode(piece, output, ToAlphabet);

    private static string ToAlphabet(string piece)
    {
        int max = System.Text.Encoding.UTF8.GetMaxByteCount(piece.Length);
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[max] : new byte[max];
        int n = System.Text.Encoding.UTF8.GetBytes(piece, utf8);
        return ByteLevelAlphabet.Encode(utf8[..n]);
    }

    private protected override void AddTokenSpans(string piece, ReadOnlySpan<int> ids, List<(int Start, int End)> spans)
    {
        // Each vocabulary char is one byte; a token covers the chars its bytes belong to.
        var byteStart = new List<int>(piece.Length * 3);
        var byteEnd = new List<int>(piece.Length * 3);
        foreach (var (start, length) in AlignedText.CodePoints(piece))
        {
            int bytes = System.Text.Encoding.UTF8.GetByteCount(piece.AsSpan(start, length));
            for (int k = 0; k < bytes; k++) { byteStart.Add(start); byteEnd.Add(start + length); }
        }
        int b = 0;
        foreach (int id in ids)
        {
            int n = IdToToken(id)?.Length ?? 0;
            if (n == 0 || b + n > byteStart.Count) return;
            spans.Add((byteStart[b], byteEnd[b + n - 1]));
            b += n;
        }
    }

    private protected override void AppendModelToken(string token, bool first, List<byte> output) =>
        ByteLevelAlphabet.Decode(token, output);
}
