// Checks the corpus-made tokenizer through the engine's own loader: every corpus word is one token, Chinese characters
// are one token each, text round-trips, unknown text still encodes, and the ChatML specials and template are there.
using RagTune.Engine.Chat;
using RagTune.Engine.Tokenizers;
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class WordTokenizerBuilderTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-wordtok-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_word_of_the_corpus_is_a_single_token_and_text_round_trips()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 60 });
        var corpus = world.Documents.Select(d => d.Text).Concat(world.Facts.Select(f => f.Question)).ToList();
        int size = WordTokenizerBuilder.Write(_dir, corpus);
        var tok = Tokenizer.Load(_dir);
        Assert.Equal(size, tok.VocabSize);
        foreach (var f in world.Facts)
        {
            // " Name" (with its space) is one token, so copying an answer is a one-step prediction.
            Assert.Single(tok.Encode(" " + f.Value, addSpecialTokens: false));
            // An English entity name is two words ("Kapo Deli"), one token each.
            Assert.Equal(2, tok.Encode(" " + f.Entity, addSpecialTokens: false).Length);
            var ids = tok.Encode(f.Sentence, addSpecialTokens: false);
            Assert.Equal(f.Sentence, tok.Decode(ids));
            // "The X device is made in Y." → The, X, device, is, made, in, Y, "."
            Assert.Equal(f.Sentence.Split(' ').Length + 1, ids.Length);
        }
        var unknown = "Zyx qq 42!";
        Assert.Equal(unknown, tok.Decode(tok.Encode(unknown, addSpecialTokens: false)));
    }

    [Fact]
    public void Chinese_characters_are_single_tokens_made_by_merges()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 40, Language = "zh" });
        WordTokenizerBuilder.Write(_dir, world.Documents.Select(d => d.Text).Concat(world.Facts.Select(f => f.Question)));
        var tok = Tokenizer.Load(_dir);
        foreach (var f in world.Facts.Take(30))
        {
            var ids = tok.Encode(f.Sentence, addSpecialTokens: false);
            Assert.Equal(f.Sentence.Length, ids.Length);
            Assert.Equal(f.Sentence, tok.Decode(ids));
        }
    }

    [Fact]
    public void The_chatml_specials_and_template_are_recognised()
    {
        WordTokenizerBuilder.Write(_dir, ["user\nHello there.", "assistant"]);
        var tok = Tokenizer.Load(_dir);
        var template = ChatTemplate.Load(_dir, tok);
        var text = template.Render([new ChatTurn("user", "Hello there.")], new ChatTemplateOptions { AddGenerationPrompt = true });
        Assert.Equal("<|im_start|>user\nHello there.<|im_end|>\n<|im_start|>assistant\n", text);
        var ids = tok.Encode(text, addSpecialTokens: false, parseSpecial: true);
        Assert.Equal(tok.TokenToId("<|im_start|>"), ids[0]);
        Assert.Equal(text, tok.Decode(ids, skipSpecialTokens: false));
        Assert.Equal(2, template.StopTokenIds(tok).Length);
    }
}
