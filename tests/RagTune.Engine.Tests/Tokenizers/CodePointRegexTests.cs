// The pre-tokenizer regexes must treat astral characters as single characters, as Hugging Face's Oniguruma regexes do.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class CodePointRegexTests
{
    private static List<string> Pieces(string pattern, string text)
    {
        var matches = new List<(int Start, int Length)>();
        new CodePointRegex(pattern, "test").Matches(text, matches);
        return matches.Select(m => text.Substring(m.Start, m.Length)).ToList();
    }

    [Fact]
    public void AnAstralLetterIsALetter()
    {
        // U+20000 (CJK extension B) is category Lo: "a𠀀b" is one run of letters.
        Assert.Equal(["a\U00020000b", " x"], Pieces(PreTokenizerPatterns.Qwen2, "a\U00020000b x"));
    }

    [Fact]
    public void AnEmojiCanBeTheOptionalLeadingCharacterOfAWord()
    {
        // [^\r\n\p{L}\p{N}]?\p{L}+ takes the whole emoji (one code point) as its optional first character.
        Assert.Equal(["\U0001F999b", "\U0001F999\U0001F999"], Pieces(PreTokenizerPatterns.Qwen2, "\U0001F999b\U0001F999\U0001F999"));
    }

    [Fact]
    public void AstralDigitsAreNumbers()
    {
        // U+1D7D9 MATHEMATICAL DOUBLE-STRUCK DIGIT ONE is Nd: Qwen2 takes digits one at a time, GPT-2 in runs.
        Assert.Equal(["\U0001D7D9", "\U0001D7D9"], Pieces(PreTokenizerPatterns.Qwen2, "\U0001D7D9\U0001D7D9"));
        Assert.Equal(["\U0001D7D9\U0001D7D9"], Pieces(PreTokenizerPatterns.Gpt2, "\U0001D7D9\U0001D7D9"));
    }
}
