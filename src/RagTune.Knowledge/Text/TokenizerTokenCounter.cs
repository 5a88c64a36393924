// Counts tokens with the engine's tokenizer of the model the knowledge base is built for (exact sizes for that model).
using RagTune.Engine.Tokenizers;

namespace RagTune.Knowledge.Text;

public sealed class TokenizerTokenCounter : ITokenCounter
{
    private readonly ITokenizer _tokenizer;

    public TokenizerTokenCounter(ITokenizer tokenizer) =>
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));

    public int Count(string text) => text.Length == 0 ? 0 : _tokenizer.Encode(text).Length;
}
