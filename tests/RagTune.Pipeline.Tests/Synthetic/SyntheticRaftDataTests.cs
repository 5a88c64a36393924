// Checks the RAFT regimes' data: DSF without documents, RAFT with k distractors and the oracle at rate P, CoT quoting the
// oracle sentence, chat JSONL the trainer reads, and eval items with exactly one marked oracle.
using RagTune.Knowledge.Rag;
using System.Text.Json;
using RagTune.Eval.Metrics;
using RagTune.Pipeline.Synthetic;
using RagTune.Raft.Export;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class SyntheticRaftDataTests
{
    private static readonly SyntheticWorld World = SyntheticWorld.Generate(new SyntheticWorldOptions { Entities = 200 });

    [Fact]
    public void Dsf_examples_are_question_to_answer_without_documents()
    {
        var examples = SyntheticRaftData.Build(World, RaftRegime.Dsf, new SyntheticRaftOptions());
        Assert.Equal(World.FactsIn("train").Count(), examples.Count);
        Assert.All(examples, e =>
        {
            Assert.Empty(e.Documents);
            Assert.Equal(e.Question, e.Instruction);
            Assert.Equal($"<ANSWER>: {e.FinalAnswer}", e.CotAnswer);
            Assert.Equal(e.FinalAnswer, RagPromptFormat.Default.FinalAnswer(e.CotAnswer));
            Assert.Equal("train", e.Split);
        });
    }

    [Fact]
    public void Raft_examples_hold_k_distractors_and_the_oracle_at_rate_P()
    {
        var options = new SyntheticRaftOptions { Distractors = 3, OracleProbability = 0.8, ExamplesPerFact = 2 };
        var examples = SyntheticRaftData.Build(World, RaftRegime.Raft, options);
        Assert.Equal(2 * World.FactsIn("train").Count(), examples.Count);
        foreach (var e in examples)
        {
            Assert.Equal(e.OracleIncluded ? 4 : 3, e.Documents.Count);
            Assert.Equal(e.OracleIncluded, e.DocumentIds.Contains(e.DocumentId));
            Assert.Equal(e.Documents.Count, e.DocumentIds.Distinct().Count());
            Assert.All(e.Documents, d => Assert.Contains($"<DOCUMENT>{d}</DOCUMENT>\n", e.Instruction, StringComparison.Ordinal));
            Assert.EndsWith(e.Question, e.Instruction, StringComparison.Ordinal);
        }
        // 960 draws at P = 0.8: the rate lies within 4 standard deviations (±0.052).
        double rate = examples.Average(e => e.OracleIncluded ? 1.0 : 0.0);
        Assert.InRange(rate, 0.748, 0.852);
    }

    [Fact]
    public void Cot_answers_quote_the_oracle_sentence_and_end_with_the_answer()
    {
        var e = SyntheticRaftData.Build(World, RaftRegime.RaftCot, new SyntheticRaftOptions())[5];
        var fact = World.FactsIn("train").ElementAt(5);
        Assert.Equal($"##begin_quote##{fact.Sentence}##end_quote## <ANSWER>: {fact.Value}", e.CotAnswer);
        Assert.Equal(fact.Value, RagPromptFormat.Default.FinalAnswer(e.CotAnswer));
        Assert.Equal([fact.Sentence], RagPromptFormat.Default.Quotes(e.CotAnswer));
    }

    [Fact]
    public void Chat_jsonl_has_one_user_and_one_assistant_message_per_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ragtune-chat-{Guid.NewGuid():N}.jsonl");
        try
        {
            var examples = SyntheticRaftData.Build(World, RaftRegime.RaftCot, new SyntheticRaftOptions());
            RaftExporter.WriteChatJsonl(path, examples);
            var lines = File.ReadAllLines(path);
            Assert.Equal(examples.Count, lines.Length);
            using var doc = JsonDocument.Parse(lines[0]);
            var messages = doc.RootElement.GetProperty("messages");
            Assert.Equal("user", messages[0].GetProperty("role").GetString());
            Assert.Equal(examples[0].Instruction, messages[0].GetProperty("content").GetString());
            Assert.Equal("assistant", messages[1].GetProperty("role").GetString());
            Assert.Equal(examples[0].CotAnswer, messages[1].GetProperty("content").GetString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Eval_items_are_test_facts_with_one_marked_oracle_among_k_distractors()
    {
        var items = SyntheticRaftData.EvalItems(World, 4, seed: 5);
        var testFacts = World.FactsIn("test").ToDictionary(f => f.Id);
        Assert.Equal(testFacts.Count, items.Count);
        foreach (var item in items)
        {
            var fact = testFacts[item.Id];
            Assert.Equal([fact.Value], item.Answers);
            Assert.Equal(5, item.Documents.Count);
            var oracle = Assert.Single(item.Documents, d => d.IsOracle);
            Assert.Contains(fact.Sentence, oracle.Text, StringComparison.Ordinal);
            Assert.All(item.Documents.Where(d => !d.IsOracle), d => Assert.DoesNotContain(fact.Entity, d.Text, StringComparison.Ordinal));
        }
        Assert.Equal(10, SyntheticRaftData.EvalItems(World, 4, seed: 5, maxItems: 10).Count);
    }
}
