// A token added on top of the model's vocabulary (tokenizer.json "added_tokens", tokenizer_config.json "added_tokens_decoder").
namespace RagTune.Engine.Tokenizers;

/// <param name="Special">Special tokens (control tokens such as &lt;|im_end|&gt;, [CLS]) are matched in text only when
/// parsing specials is asked for; non-special added tokens are always matched, as Hugging Face tokenizers do.</param>
/// <param name="LStrip">Whitespace left of a match is absorbed into the token.</param>
/// <param name="RStrip">Whitespace right of a match is absorbed into the token.</param>
/// <param name="SingleWord">Matches only when not glued to word characters on either side.</param>
/// <param name="Normalized">Hugging Face matches such tokens against normalized text; RagTune matches every added token
/// against the raw text, which agrees for all normalizers that leave the token's own characters unchanged.</param>
public sealed record AddedToken(int Id, string Content, bool Special,
    bool LStrip = false, bool RStrip = false, bool SingleWord = false, bool Normalized = false);
