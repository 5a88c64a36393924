// Where a training step's time goes: wall time per phase (linear GEMMs, LoRA, attention, the LM head, the loss, ...)
// summed over the steps, when RAGTUNE_PROFILE=1. Off by default: each probe is then one field read.
using System.Diagnostics;

namespace RagTune.Engine.Training;

public static class StepProfile
{
    /// <summary>True when RAGTUNE_PROFILE is 1 (read once).</summary>
    public static bool Enabled { get; } = Environment.GetEnvironmentVariable("RAGTUNE_PROFILE") == "1";

    private static readonly Dictionary<string, (double Ms, int Calls)> Phases = [];

    /// <summary>The pass the probes below count toward: "forward", "recompute" (a layer re-run in the backward) or "backward".</summary>
    internal static string Stage { get; set; } = "forward";

    /// <summary>A start timestamp for <see cref="End"/> (0 when profiling is off).</summary>
    internal static long Begin() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to phase <paramref name="name"/> of the current stage.</summary>
    internal static void End(string name, long start)
    {
        if (!Enabled) return;
        double ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        string key = $"{Stage} {name}";
        lock (Phases)
        {
            var (sum, calls) = Phases.GetValueOrDefault(key);
            Phases[key] = (sum + ms, calls + 1);
        }
    }

    /// <summary>One line per phase, largest first: total ms, share of the profiled time, calls; then clears the sums.</summary>
    public static IReadOnlyList<string> TakeReport()
    {
        lock (Phases)
        {
            double total = Phases.Values.Sum(p => p.Ms);
            var lines = Phases.OrderByDescending(p => p.Value.Ms)
                .Select(p => $"{p.Key,-36} {p.Value.Ms,9:0} ms {100 * p.Value.Ms / total,5:0.0} % {p.Value.Calls,6} calls")
                .Append($"{"profiled total",-36} {total,9:0} ms").ToList();
            Phases.Clear();
            return lines;
        }
    }
}
