// Latency percentiles over a set of timed operations (nearest-rank).
namespace RagTune.Bench.Retrieval;

internal static class Latency
{
    public static double Percentile(List<double> millis, double p)
    {
        var sorted = millis.Order().ToArray();
        int rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    public static string Summary(List<double> millis) =>
        $"p50 {Percentile(millis, 50):F3} ms, p99 {Percentile(millis, 99):F3} ms (n={millis.Count})";
}
