// Checks an untrained student end to end: the checkpoint loads, its prompt is tokenised without byte fallback, and the
// evaluation runner scores it under each context (closed-book, oracle + distractors, distractors only).
using RagTune.Engine.Generation;
using RagTune.Eval.Running;
using RagTune.Pipeline.Synthetic;
using RagTune.Eval.Systems;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class StudentSystemTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ragtune-student-" + Guid.NewGuid().ToString("N"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task An_untrained_student_is_evaluated_under_every_context()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 40 });
        StudentModel.CreateBase(_dir, SyntheticRaftData.Corpus(world), new StudentModelOptions { HiddenSize = 32, Layers = 1, IntermediateSize = 64 });
        var generator = TextGenerator.Load(_dir);
        var items = SyntheticRaftData.EvalItems(world, 2, seed: 1, maxItems: 3);
        // Every corpus word is in the vocabulary: a prompt costs about one token per word.
        var prompt = SyntheticPrompts.Instruction(items[0].Question, items[0].Documents.Select(d => d.Text));
        int words = prompt.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Length;
        Assert.InRange(generator.Tokenizer.Encode(prompt).Length, words, 3 * words);

        IEvalSystem[] systems =
        [
            new StudentSystem("closed", generator, StudentContext.ClosedBook, maxTokens: 4),
            new StudentSystem("oracle", generator, StudentContext.OracleAndDistractors, maxTokens: 4),
            new StudentSystem("distractors", generator, StudentContext.DistractorsOnly, maxTokens: 4),
        ];
        var run = await new EvaluationRunner(new EvaluationRunnerOptions { MaxConcurrency = 1 }).RunAsync(items, systems, TestContext.Current.CancellationToken);
        Assert.Equal(9, run.Results.Count);
        Assert.All(run.Results, r => Assert.Null(r.Error));
        Assert.All(run.Results.Where(r => r.System == "closed"), r => Assert.Null(r.Documents));
        Assert.All(run.Results.Where(r => r.System == "oracle"), r => Assert.Equal(3, r.Documents!.Count));
        Assert.All(run.Results.Where(r => r.System == "distractors"), r => Assert.DoesNotContain(r.Documents!, d => d.IsOracle == true));
        Assert.All(run.Summaries, s => Assert.InRange(s.Metrics["em"].Mean, 0, 1));
    }
}
