// Seeded random text from many scripts: byte-level tokenizers round-trip it exactly, streaming agrees with whole
// decodes, and no tokenizer throws — not even on lone surrogates.
using System.Text;
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Tokenizers;

public sealed class RandomTextTests
{
    private static readonly string[] Alphabet =
    [
        "a", "Z", "é", "e\u0301", "ß", "ø", "Ж", "я", "ع", "א", "ก", "ា", "中", "文", "的", "。", "，", "～", "\U00020000",
        "😀", "🦙", "👍🏽", "😶\u200D🌫️", "0", "7", "٣", "½", " ", "  ", "\t", "\n", "\r\n", "\u00A0", "\u3000", "'s", "'LL",
        "<|im_start|>", "<|im_end|>", "[CLS]", "<s>", "!", "?!", "...", "-", "_", "$", "\\", "\"", "\u200B",
    ];

    private static IEnumerable<string> Texts(int seed, int count)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            int parts = random.Next(0, 40);
            for (int p = 0; p < parts; p++) sb.Append(Alphabet[random.Next(Alphabet.Length)]);
            yield return sb.ToString();
        }
    }

    [Fact]
    public void ByteLevelTokenizersRoundTripAndStreamConsistently()
    {
        foreach (var tokenizer in new[] { TokenizerTestData.Qwen2, TokenizerTestData.Gpt2Gguf })
        {
            foreach (string text in Texts(seed: 7, count: 300))
            {
                // Qwen2 normalizes to NFC first, so compare with the NFC form.
                string expected = tokenizer == TokenizerTestData.Qwen2 ? text.Normalize(NormalizationForm.FormC) : text;
                foreach (bool parse in new[] { false, true })
                {
                    int[] ids = tokenizer.Encode(text, parseSpecial: parse);
                    Assert.Equal(expected, tokenizer.Decode(ids));
                    var decoder = tokenizer.CreateStreamingDecoder();
                    var streamed = new StringBuilder();
                    foreach (int id in ids) streamed.Append(decoder.Add(id));
                    Assert.Equal(expected, streamed.Append(decoder.Flush()).ToString());
                }
            }
        }
    }

    [Fact]
    public void SentencePieceRoundTripsThroughByteFallback()
    {
        var tokenizer = TokenizerTestData.LlamaSpmGguf;
        foreach (string text in Texts(seed: 11, count: 300))
        {
            // SentencePiece drops the one leading space it adds, so a text starting with a space loses nothing either.
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
        }
    }

    [Fact]
    public void NoTokenizerThrowsOnLoneSurrogatesOrControlCharacters()
    {
        string nasty = "a\uD800b\uDC00c\u0000\u0007\uFFFD\uFFFF" + string.Concat(Texts(seed: 3, count: 20));
        foreach (var tokenizer in new[] { TokenizerTestData.Qwen2, TokenizerTestData.Gpt2Gguf, TokenizerTestData.BertJson, TokenizerTestData.LlamaSpmGguf })
        {
            int[] ids = tokenizer.Encode(nasty, addSpecialTokens: true, parseSpecial: true);
            Assert.NotEmpty(ids);
            Assert.All(ids, id => Assert.InRange(id, 0, tokenizer.VocabSize - 1));
            Assert.NotNull(tokenizer.Decode(ids));
        }
    }
}
