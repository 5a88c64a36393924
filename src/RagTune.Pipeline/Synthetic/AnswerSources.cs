// Where a student's answers come from on the synthetic world: the oracle's value, a value copied from a distractor shown
// with the question (the right attribute of the wrong entity), another value of the world (a guess from memory), or no
// value at all. EM alone cannot tell a student that copies from the wrong document from one that guesses.
using System.Globalization;
using System.Text;
using RagTune.Eval.Running;

namespace RagTune.Pipeline.Synthetic;

/// <summary>Shares of one system's answers by source (each in [0, 1], summing to 1).</summary>
public sealed record AnswerSourceShares(string System, int Answers, double Oracle, double ShownDistractor, double OtherValue, double NoValue);

public static class AnswerSources
{
    /// <summary>Classifies every finished answer of the systems in <paramref name="contexts"/> (system name → what it was
    /// shown); the shown documents are the item's, as <see cref="StudentSystem"/> selects them.</summary>
    public static IReadOnlyList<AnswerSourceShares> Classify(EvalRun run, SyntheticWorld world, IReadOnlyDictionary<string, StudentContext> contexts)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(contexts);
        var facts = world.Facts.ToDictionary(f => f.Id, StringComparer.Ordinal);
        var values = world.Facts.Select(f => f.Value).ToHashSet(StringComparer.Ordinal);
        var byDocument = world.Facts.ToLookup(f => f.DocumentId, StringComparer.Ordinal);
        var items = run.Items.ToDictionary(i => i.Id, StringComparer.Ordinal);
        var shares = new List<AnswerSourceShares>();
        foreach (var system in run.Systems)
        {
            if (!contexts.TryGetValue(system, out var context)) continue;
            int n = 0, oracle = 0, distractor = 0, other = 0, none = 0;
            foreach (var r in run.Results.Where(r => r.System == system && r.Error is null))
            {
                var fact = facts[r.ItemId];
                string answer = r.FinalAnswer.Trim();
                n++;
                if (answer == fact.Value) { oracle++; continue; }
                var shown = context is StudentContext.OracleAndDistractors or StudentContext.DistractorsOnly
                    ? items[r.ItemId].Documents.Where(d => !d.IsOracle).Select(d => d.Id)
                    : Enumerable.Empty<string>();
                bool copied = shown.Any(id => byDocument[id].Any(f => f.Attribute == fact.Attribute && f.Value == answer));
                if (copied) distractor++;
                else if (values.Contains(answer)) other++;
                else none++;
            }
            if (n > 0) shares.Add(new AnswerSourceShares(system, n, (double)oracle / n, (double)distractor / n, (double)other / n, (double)none / n));
        }
        return shares;
    }

    /// <summary>The shares as a markdown table, in percent.</summary>
    public static string Table(IReadOnlyList<AnswerSourceShares> shares)
    {
        ArgumentNullException.ThrowIfNull(shares);
        var sb = new StringBuilder();
        sb.AppendLine("| Student · test context | oracle's value (correct) | same attribute, copied from a distractor | another value (not in context) | no value |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var s in shares)
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {s.System} | {100 * s.Oracle:F1} | {100 * s.ShownDistractor:F1} | {100 * s.OtherValue:F1} | {100 * s.NoValue:F1} |"));
        return sb.ToString();
    }
}
