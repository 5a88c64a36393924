// Checks that what a student is trained on and what it is evaluated with agree token for token: the evaluation prompt is
// the training sequence's unlearned prefix, and in every regime the answer value is the same token as in the documents
// and every word of the answer is a single token.
using System.Text.RegularExpressions;
using RagTune.Engine.Chat;
using RagTune.Engine.Generation;
using RagTune.Engine.Training;
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class TrainingPromptTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-prompt-" + Guid.NewGuid().ToString("N"));
    private readonly SyntheticWorld _world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 40 });

    public TrainingPromptTests() =>
        StudentModel.CreateBase(_dir, SyntheticRaftData.Corpus(_world), new StudentModelOptions { HiddenSize = 32, Layers = 1, IntermediateSize = 64 });

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TokenizedExample Encode(TextGenerator generator, string modelDir, string user, string assistant) =>
        new SftExampleBuilder(generator.Tokenizer, ChatTemplate.Load(modelDir, generator.Tokenizer), 1024, false)
            .Encode([new ChatTurn("user", user), new ChatTurn("assistant", assistant)]);

    [Theory]
    [InlineData(StudentContext.ClosedBook)]
    [InlineData(StudentContext.OracleAndDistractors)]
    [InlineData(StudentContext.DistractorsOnly)]
    public void The_eval_prompt_is_the_training_sequence_up_to_the_answer(StudentContext context)
    {
        var generator = TextGenerator.Load(_dir);
        var item = SyntheticRaftData.EvalItems(_world, 2, seed: 3, maxItems: 1)[0];
        var system = new StudentSystem("s", generator, context, maxTokens: 4);
        var docs = system.DocumentsFor(item);
        var evalIds = generator.EncodePrompt(system.Prompt(item.Question, docs));

        // The same question and documents as a training conversation (the trainer renders the model's own chat_template).
        var fact = _world.Facts.Single(f => f.Question == item.Question);
        var train = Encode(generator, _dir, SyntheticPrompts.Instruction(item.Question, docs?.Select(d => d.Text) ?? []),
            SyntheticPrompts.Answer(RaftRegime.Raft, fact));
        int answerStart = Array.FindIndex(train.Labels, l => l != TokenizedExample.IgnoreIndex);
        Assert.True(answerStart > 0);
        Assert.Equal(train.Ids[..answerStart], evalIds);
    }

    [Theory]
    [InlineData(RaftRegime.Dsf)]
    [InlineData(RaftRegime.Raft)]
    [InlineData(RaftRegime.RaftCot)]
    public void The_answer_value_is_the_token_the_documents_hold(RaftRegime regime)
    {
        var generator = TextGenerator.Load(_dir);
        var tok = generator.Tokenizer;
        foreach (var e in SyntheticRaftData.Build(_world, regime, new SyntheticRaftOptions { Distractors = 1 }).Take(10))
        {
            var fact = _world.Facts.Single(f => f.Question == e.Question && f.Value == e.FinalAnswer);
            int inDocument = Assert.Single(tok.Encode(" " + fact.Value, addSpecialTokens: false));
            Assert.Contains(inDocument, tok.Encode(_world.DocumentsById[fact.DocumentId].Text, addSpecialTokens: false));
            // The learned part of the training sequence ends with the value's document token, then the end of turn.
            var train = Encode(generator, _dir, e.Instruction, e.CotAnswer);
            var learned = train.Ids.Where((_, i) => train.Labels[i] != TokenizedExample.IgnoreIndex).ToArray();
            Assert.Equal(inDocument, learned[^2]);
            // Every word of the answer is one token: no format marker is spelled out byte by byte.
            Assert.Equal(Regex.Matches(e.CotAnswer, WordTokenizerBuilder.Qwen2Pattern).Count, tok.Encode(e.CotAnswer, addSpecialTokens: false).Length);
            // The evaluation's generation budget holds the whole answer and its end token.
            Assert.True(learned.Length <= SyntheticBenchmark.MaxTokens(regime), $"{learned.Length} answer tokens, budget {SyntheticBenchmark.MaxTokens(regime)}");
        }
    }
}
