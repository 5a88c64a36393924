// Checks the answer-source breakdown on hand-picked answers: the oracle's value, the asked attribute's value copied from a
// shown distractor, a value of the world that was not shown, and text that is no value; distractors count only if shown.
using RagTune.Eval.Running;
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class AnswerSourcesTests
{
    [Fact]
    public void Answers_are_classified_by_where_their_value_comes_from()
    {
        var world = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 40 });
        var item = SyntheticRaftData.EvalItems(world, 2, seed: 5, maxItems: 1)[0];
        var fact = world.Facts.Single(f => f.Id == item.Id);
        var distractor = item.Documents.First(d => !d.IsOracle);
        string copied = world.Facts.First(f => f.DocumentId == distractor.Id && f.Attribute == fact.Attribute).Value;
        var shownValues = item.Documents.SelectMany(d => world.Facts.Where(f => f.DocumentId == d.Id)).Select(f => f.Value).ToHashSet();
        string elsewhere = world.Facts.First(f => !shownValues.Contains(f.Value)).Value;
        Assert.NotEqual(fact.Value, copied);

        ItemResult Answer(string system, string text) => new() { System = system, ItemId = item.Id, Answer = text, FinalAnswer = text };
        var run = new EvalRun("t", DateTimeOffset.UnixEpoch, 0, ["docs", "closed"], [item],
            [Answer("docs", fact.Value), Answer("docs", copied), Answer("docs", elsewhere), Answer("docs", "<ANSWERR"),
             Answer("closed", copied)], []);
        var shares = AnswerSources.Classify(run, world, new Dictionary<string, StudentContext>
        {
            ["docs"] = StudentContext.DistractorsOnly,
            ["closed"] = StudentContext.ClosedBook,
        });

        var docs = shares.Single(s => s.System == "docs");
        Assert.Equal(4, docs.Answers);
        Assert.Equal((0.25, 0.25, 0.25, 0.25), (docs.Oracle, docs.ShownDistractor, docs.OtherValue, docs.NoValue));
        // Closed-book, nothing was shown: the same value is a value from memory, not a copy.
        var closed = shares.Single(s => s.System == "closed");
        Assert.Equal((0.0, 0.0, 1.0, 0.0), (closed.Oracle, closed.ShownDistractor, closed.OtherValue, closed.NoValue));
        Assert.Contains("| docs | 25.0 | 25.0 | 25.0 | 25.0 |", AnswerSources.Table(shares), StringComparison.Ordinal);
    }
}
