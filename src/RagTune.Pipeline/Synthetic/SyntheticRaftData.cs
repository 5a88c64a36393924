// Turns a synthetic world into RAFT training data (the generator knows every fact, so it stands in for the teacher) and
// into eval items with oracle + distractors, in the formats the rest of RagTune reads: RaftExample records (written as
// chat JSONL by RaftExporter.WriteChatJsonl, as `raft export` does) and EvalItem lists for the evaluation runner.
using RagTune.Eval;
using RagTune.Eval.Data;
using RagTune.Raft.Generation;

namespace RagTune.Pipeline.Synthetic;

public static class SyntheticRaftData
{
    /// <summary>Training examples for a regime from the facts of <paramref name="split"/>: DSF examples carry no documents.</summary>
    public static List<RaftExample> Build(SyntheticWorld world, RaftRegime regime, SyntheticRaftOptions options, string split = "train")
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(options);
        if (options.OracleProbability is < 0 or > 1)
            throw new EvalException($"synthetic RAFT OracleProbability: found {options.OracleProbability}; expected a value in [0, 1]");
        var rng = new SyntheticRandom(options.Seed ^ ((ulong)regime + 1) * 0xBF58476D1CE4E5B9UL);
        var examples = new List<RaftExample>();
        foreach (var fact in world.FactsIn(split))
            for (int r = 0; r < options.ExamplesPerFact; r++)
            {
                var oracle = world.DocumentsById[fact.DocumentId];
                var docs = new List<SyntheticDocument>();
                bool withOracle = true;
                if (regime != RaftRegime.Dsf)
                {
                    withOracle = rng.NextDouble() < options.OracleProbability;
                    docs.AddRange(world.SampleDistractors(oracle.Id, split, options.Distractors, rng));
                    if (withOracle) docs.Add(oracle);
                    rng.Shuffle(docs);
                }
                string cot = SyntheticPrompts.Answer(regime, fact);
                examples.Add(new RaftExample
                {
                    Id = $"{fact.Id}-{regime.ToString().ToLowerInvariant()}-{r}",
                    ChunkId = oracle.Id,
                    DocumentId = oracle.Id,
                    Split = split,
                    Language = world.Options.Language,
                    Question = fact.Question,
                    Titles = docs.Select(d => d.Title).ToList(),
                    Documents = docs.Select(d => d.Text).ToList(),
                    DocumentIds = docs.Select(d => d.Id).ToList(),
                    OracleIncluded = withOracle && regime != RaftRegime.Dsf,
                    OracleContext = oracle.Text,
                    CotAnswer = cot,
                    FinalAnswer = fact.Value,
                    Instruction = SyntheticPrompts.Instruction(fact.Question, docs.Select(d => d.Text)),
                });
            }
        return examples;
    }

    /// <summary>Eval items for the facts of <paramref name="split"/>: the oracle document (marked) and k distractors, shuffled.
    /// Systems decide what to show: all of them, only the distractors, or none.</summary>
    public static List<EvalItem> EvalItems(SyntheticWorld world, int distractors, ulong seed, string split = "test", int? maxItems = null)
    {
        ArgumentNullException.ThrowIfNull(world);
        var rng = new SyntheticRandom(seed ^ 0x94D049BB133111EBUL);
        var items = new List<EvalItem>();
        foreach (var fact in world.FactsIn(split))
        {
            var docs = world.SampleDistractors(fact.DocumentId, split, distractors, rng)
                .Select(d => new EvalDocument(d.Id, d.Text, false, d.Title)).ToList();
            var oracle = world.DocumentsById[fact.DocumentId];
            docs.Add(new EvalDocument(oracle.Id, oracle.Text, true, oracle.Title));
            rng.Shuffle(docs);
            items.Add(new EvalItem(fact.Id, fact.Question, [fact.Value], docs));
        }
        if (maxItems is { } n && n < items.Count)
        {
            rng.Shuffle(items);
            items = items.Take(n).OrderBy(i => i.Id, StringComparer.Ordinal).ToList();
        }
        return items;
    }

    /// <summary>Every text a student will read or write in this world (documents, questions, answers, chat roles, the
    /// prompt markup), for building its vocabulary.</summary>
    public static IEnumerable<string> Corpus(SyntheticWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        yield return "system\nuser\nassistant\n";
        yield return SyntheticPrompts.Instruction("?", ["."]);
        foreach (var d in world.Documents) yield return d.Text;
        foreach (var f in world.Facts)
        {
            yield return f.Question;
            // Every answer format a regime writes: a word missing here would be spelled out byte by byte (the bare
            // answer's "<ANSWER" at the start of the turn is not the CoT's " <" + "ANSWER").
            yield return SyntheticPrompts.Answer(RaftRegime.RaftCot, f);
            yield return SyntheticPrompts.Answer(RaftRegime.Raft, f);
            yield return "\n" + f.Value;
        }
    }
}
