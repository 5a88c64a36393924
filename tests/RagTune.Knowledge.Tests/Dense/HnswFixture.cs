// Builds the HNSW test graphs once per test class (5k × 64, Gaussian and clustered) with their exact twins.
using RagTune.Knowledge.Dense;

namespace RagTune.Knowledge.Tests.Dense;

public sealed class HnswFixture
{
    public const int N = 5000, Dims = 64, Queries = 100;
    public static readonly HnswOptions Options = new() { M = 16, EfConstruction = 100, EfSearch = 100, Seed = 2024 };

    public HnswFixture()
    {
        Gaussian = new Dataset(VectorData.Gaussian(N, Dims, seed: 1), VectorData.Gaussian(Queries, Dims, seed: 2));
        // Queries drawn from the same blobs as the data, as real queries land near real passages.
        var clustered = VectorData.Clustered(N + Queries, Dims, clusters: 40, seed: 3);
        Clustered = new Dataset(clustered[..N], clustered[N..]);
    }

    public Dataset Gaussian { get; }
    public Dataset Clustered { get; }

    public sealed class Dataset
    {
        public Dataset(float[][] data, float[][] queries)
        {
            Data = data;
            QueryVectors = queries;
            Hnsw = new HnswIndex(Dims, VectorMetric.Cosine, Options);
            Exact = new ExactVectorIndex(Dims, VectorMetric.Cosine);
            for (int i = 0; i < data.Length; i++)
            {
                var meta = new Dictionary<string, string> { ["bucket"] = (i % 10).ToString(), ["rare"] = i % 50 == 3 ? "yes" : "no" };
                Hnsw.Add(Id(i), data[i], meta);
                Exact.Add(Id(i), data[i], meta);
            }
        }

        public float[][] Data { get; }
        public float[][] QueryVectors { get; }
        public HnswIndex Hnsw { get; }
        public ExactVectorIndex Exact { get; }

        public static string Id(int i) => $"v{i:D5}";
    }
}
