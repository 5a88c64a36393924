// Deterministic synthetic vectors for the index tests (and bench/vectors, which links this file): uniform Gaussian and clustered (Gaussian blobs) data, and the naive oracle.
using RagTune.Knowledge.Dense;

namespace RagTune.Knowledge.Tests.Dense;

internal static class VectorData
{
    public static float[][] Gaussian(int n, int dims, int seed)
    {
        var rng = new Random(seed);
        var data = new float[n][];
        for (int i = 0; i < n; i++)
        {
            data[i] = new float[dims];
            for (int d = 0; d < dims; d++) data[i][d] = Normal(rng);
        }
        return data;
    }

    /// <summary>n points around <paramref name="clusters"/> random centres with per-axis spread σ (centres have σ = 1 per axis).</summary>
    public static float[][] Clustered(int n, int dims, int clusters, int seed, float spread = 0.3f)
    {
        var rng = new Random(seed);
        var centres = Gaussian(clusters, dims, seed + 1);
        var data = new float[n][];
        for (int i = 0; i < n; i++)
        {
            var c = centres[rng.Next(clusters)];
            data[i] = new float[dims];
            for (int d = 0; d < dims; d++) data[i][d] = c[d] + spread * Normal(rng);
        }
        return data;
    }

    private static float Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>The naive twin of the indexes: scalar double-precision scores over every vector, full sort.</summary>
    public static List<(string Id, double Score)> BruteForce(IReadOnlyList<(string Id, float[] Vector)> items, float[] query,
        VectorMetric metric, int k, Func<string, bool>? keep = null)
    {
        double Norm(float[] v) => Math.Sqrt(v.Sum(x => (double)x * x));
        var scored = new List<(string Id, double Score)>();
        foreach (var (id, v) in items)
        {
            if (keep is not null && !keep(id)) continue;
            double s = 0;
            switch (metric)
            {
                case VectorMetric.Dot:
                    for (int d = 0; d < v.Length; d++) s += (double)v[d] * query[d];
                    break;
                case VectorMetric.Cosine:
                    for (int d = 0; d < v.Length; d++) s += (double)v[d] * query[d];
                    double nv = Norm(v), nq = Norm(query);
                    s = nv == 0 || nq == 0 ? 0 : s / (nv * nq);
                    break;
                case VectorMetric.L2:
                    for (int d = 0; d < v.Length; d++) s += ((double)v[d] - query[d]) * ((double)v[d] - query[d]);
                    s = -Math.Sqrt(s);
                    break;
            }
            scored.Add((id, s));
        }
        return scored.OrderByDescending(p => p.Score).ThenBy(p => p.Id, StringComparer.Ordinal).Take(k).ToList();
    }

    /// <summary>|approx ∩ exact| / |exact|, over all queries.</summary>
    public static double Recall(IReadOnlyList<IReadOnlyList<VectorHit>> approx, IReadOnlyList<IReadOnlyList<VectorHit>> exact)
    {
        int found = 0, total = 0;
        for (int q = 0; q < exact.Count; q++)
        {
            var truth = exact[q].Select(h => h.Id).ToHashSet();
            found += approx[q].Count(h => truth.Contains(h.Id));
            total += truth.Count;
        }
        return (double)found / total;
    }
}
