// The fixtures' tokenizer files, read by the engine's tokenizers, give the ids the reference script fed PyTorch.
using RagTune.Engine.Tokenizers;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class FixtureTokenizerTests
{
    public static TheoryData<string> Decoders => new(Fixtures.Decoders);
    public static TheoryData<string> Encoders => new(Fixtures.Encoders);

    [Theory]
    [MemberData(nameof(Decoders))]
    public void Byte_level_bpe_reproduces_the_prompt_ids(string name)
    {
        var golden = Fixtures.Golden(name);
        var tokenizer = Tokenizer.Load(Fixtures.Dir(name));
        Assert.Equal(golden.GetProperty("prompt_ids").Ints(), tokenizer.Encode(golden.GetProperty("prompt").GetString()!));
        Assert.Equal(golden.GetProperty("chat_prompt_ids").Ints(),
            tokenizer.Encode(golden.GetProperty("chat_prompt").GetString()!, parseSpecial: true));
        Assert.Equal(golden.GetProperty("prompt").GetString(), tokenizer.Decode(golden.GetProperty("prompt_ids").Ints()));
    }

    [Theory]
    [MemberData(nameof(Encoders))]
    public void The_encoder_tokenizer_reproduces_the_ids(string name)
    {
        var golden = Fixtures.Golden(name);
        var tokenizer = Tokenizer.Load(Fixtures.Dir(name));
        var texts = golden.GetProperty("texts").EnumerateArray().Select(t => t.GetString()!).ToArray();
        var ids = golden.GetProperty("input_ids").EnumerateArray().Select(e => e.Ints()).ToArray();
        for (int i = 0; i < texts.Length; i++)
            Assert.Equal(ids[i], tokenizer.Encode(texts[i], addSpecialTokens: true));
    }
}
