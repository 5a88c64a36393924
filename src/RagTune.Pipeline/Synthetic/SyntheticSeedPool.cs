// Pools the synthetic benchmark over several worlds (seeds): per-seed EM, EM over all seeds' test questions with a bootstrap
// interval, and paired differences between regimes, so a claim like "RAFT > DSF + RAG" comes with its uncertainty.
using System.Globalization;
using System.Text;
using RagTune.Eval;
using RagTune.Eval.Data;
using RagTune.Eval.Metrics;
using RagTune.Eval.Running;

namespace RagTune.Pipeline.Synthetic;

public static class SyntheticSeedPool
{
    /// <summary>Markdown: one row per system (regime · test context), a column per seed, and the pooled EM with its 95 %
    /// percentile-bootstrap interval over every seed's questions; then the paired differences the paper's claim rests on.</summary>
    public static string Table(IReadOnlyList<(ulong Seed, EvalRun Run)> runs, int bootstrapSamples = 2000)
    {
        ArgumentNullException.ThrowIfNull(runs);
        if (runs.Count == 0) throw new EvalException("synthetic seed pool: found no runs; expected one per seed");
        var systems = runs.SelectMany(r => r.Run.Systems).Distinct(StringComparer.Ordinal).ToList();
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("| Student · test context | " + string.Join(" | ", runs.Select(r => $"EM, seed {r.Seed}")) + " | EM, all seeds [95 % CI] |");
        sb.AppendLine("|---|" + string.Concat(runs.Select(_ => "---|")) + "---|");
        foreach (var system in systems)
        {
            var cells = runs.Select(r => Em(r.Run, system) is { } v ? (100 * v.Average()).ToString("F1", c) : "–");
            var pooled = Pooled(runs, system);
            string all = pooled.Count == 0 ? "–" : Interval(pooled, bootstrapSamples, system);
            sb.AppendLine($"| {system} | {string.Join(" | ", cells)} | {all} |");
        }
        int n = runs.Sum(r => r.Run.Items.Count);
        sb.AppendLine();
        sb.AppendLine(string.Create(c, $"{n} test questions in all ({string.Join(" + ", runs.Select(r => r.Run.Items.Count))}), each about an entity unseen in its world's training."));
        var pairs = new[]
        {
            (A: SyntheticBenchmark.SystemName(RaftRegime.Raft, StudentContext.OracleAndDistractors), B: SyntheticBenchmark.SystemName(RaftRegime.Dsf, StudentContext.OracleAndDistractors)),
            (A: SyntheticBenchmark.SystemName(RaftRegime.RaftCot, StudentContext.OracleAndDistractors), B: SyntheticBenchmark.SystemName(RaftRegime.Dsf, StudentContext.OracleAndDistractors)),
            (A: SyntheticBenchmark.SystemName(RaftRegime.Dsf, StudentContext.OracleAndDistractors), B: SyntheticBenchmark.SystemName(RaftRegime.Dsf, StudentContext.ClosedBook)),
            (A: SyntheticBenchmark.SystemName(RaftRegime.Raft, StudentContext.OracleAndDistractors), B: SyntheticBenchmark.SystemName(RaftRegime.Raft, StudentContext.DistractorsOnly)),
        };
        var lines = new List<string>();
        foreach (var (a, b) in pairs)
        {
            var d = PairedDifferences(runs, a, b);
            if (d.Count == 0) continue;
            lines.Add($"- {a} − {b}: {Interval(d, bootstrapSamples, a + "\n" + b, signed: true)} points");
        }
        if (lines.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("Paired differences in EM over the same questions (percentile bootstrap, 95 %):");
            sb.AppendLine();
            foreach (var l in lines) sb.AppendLine(l);
        }
        return sb.ToString();
    }

    /// <summary>Per-item EM of a system in one run, in item order; null when the run has no such system.</summary>
    private static double[]? Em(EvalRun run, string system)
    {
        var byItem = EmByItem(run, system);
        if (byItem.Count == 0) return null;
        return run.Items.Where(i => byItem.ContainsKey(i.Id)).Select(i => byItem[i.Id]).ToArray();
    }

    private static Dictionary<string, double> EmByItem(EvalRun run, string system) =>
        run.Results.Where(r => r.System == system && r.Metrics.ContainsKey(MetricNames.ExactMatch))
            .ToDictionary(r => r.ItemId, r => r.Metrics[MetricNames.ExactMatch], StringComparer.Ordinal);

    private static List<double> Pooled(IReadOnlyList<(ulong Seed, EvalRun Run)> runs, string system) =>
        runs.SelectMany(r => Em(r.Run, system) ?? []).ToList();

    /// <summary>EM(a) − EM(b) item by item, over the items both systems answered, in every run that has both.</summary>
    public static List<double> PairedDifferences(IReadOnlyList<(ulong Seed, EvalRun Run)> runs, string a, string b)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var d = new List<double>();
        foreach (var (_, run) in runs)
        {
            var ea = EmByItem(run, a);
            var eb = EmByItem(run, b);
            foreach (var item in run.Items)
                if (ea.TryGetValue(item.Id, out var x) && eb.TryGetValue(item.Id, out var y))
                    d.Add(x - y);
        }
        return d;
    }

    private static string Interval(List<double> values, int samples, string key, bool signed = false)
    {
        var (lo, hi) = Aggregator.BootstrapCi(values, samples, 0.95, StableHash.Combine(0, key));
        string f(double v) => (100 * v).ToString(signed ? "+0.0;−0.0;0.0" : "F1", CultureInfo.InvariantCulture);
        return $"{f(values.Average())} [{f(lo)}, {f(hi)}]";
    }
}
