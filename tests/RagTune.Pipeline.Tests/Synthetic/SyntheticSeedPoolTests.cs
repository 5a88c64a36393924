// The pooled table over several worlds: per-seed EM, pooled EM over every question with its interval, and paired
// differences computed item by item, checked on hand-made runs.
using RagTune.Eval;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;
using RagTune.Pipeline.Synthetic;

namespace RagTune.Pipeline.Tests.Synthetic;

public sealed class SyntheticSeedPoolTests
{
    private static readonly string Raft = SyntheticBenchmark.SystemName(RaftRegime.Raft, StudentContext.OracleAndDistractors);
    private static readonly string DsfRag = SyntheticBenchmark.SystemName(RaftRegime.Dsf, StudentContext.OracleAndDistractors);

    private static EvalRun Run(string prefix, double[] raft, double[] dsfRag)
    {
        var items = raft.Select((_, i) => new EvalItem($"{prefix}{i}", "q?", ["a"], [])).ToList();
        var results = new List<ItemResult>();
        for (int i = 0; i < items.Count; i++)
        {
            results.Add(new ItemResult { System = Raft, ItemId = items[i].Id, Metrics = new() { [MetricNames.ExactMatch] = raft[i] } });
            results.Add(new ItemResult { System = DsfRag, ItemId = items[i].Id, Metrics = new() { [MetricNames.ExactMatch] = dsfRag[i] } });
        }
        return new EvalRun("t", DateTimeOffset.UnixEpoch, 0, [Raft, DsfRag], items, results, Aggregator.Summarize(results));
    }

    [Fact]
    public void Pooled_em_is_over_every_question_of_every_seed_and_differences_are_paired()
    {
        // Seed 1: RAFT 3/4, DSF + RAG 1/4; seed 2: RAFT 1/2, DSF + RAG 1/2 → pooled 4/6 vs 2/6, difference +2/6.
        var runs = new List<(ulong, EvalRun)>
        {
            (1, Run("a", [1, 1, 1, 0], [0, 0, 1, 0])),
            (2, Run("b", [1, 0], [0, 1])),
        };
        string table = SyntheticSeedPool.Table(runs, bootstrapSamples: 500);
        Assert.Contains("| EM, seed 1 | EM, seed 2 | EM, all seeds [95 % CI] |", table, StringComparison.Ordinal);
        Assert.Contains($"| {Raft} | 75.0 | 50.0 | 66.7 [", table, StringComparison.Ordinal);
        Assert.Contains($"| {DsfRag} | 25.0 | 50.0 | 33.3 [", table, StringComparison.Ordinal);
        Assert.Contains("6 test questions in all (4 + 2)", table, StringComparison.Ordinal);
        Assert.Contains($"- {Raft} − {DsfRag}: +33.3 [", table, StringComparison.Ordinal);

        var d = SyntheticSeedPool.PairedDifferences(runs, Raft, DsfRag);
        Assert.Equal([1.0, 1, 0, 0, 1, -1], d);
    }

    [Fact]
    public void No_runs_is_an_error()
    {
        var e = Assert.Throws<EvalException>(() => SyntheticSeedPool.Table([]));
        Assert.Contains("no runs", e.Message, StringComparison.Ordinal);
    }
}
