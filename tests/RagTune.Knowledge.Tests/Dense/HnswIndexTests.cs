// HNSW against the exact index: recall@10 floors, determinism, persistence, tombstones, filters and parallel readers.
using Xunit;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Tests.Dense;

public sealed class HnswIndexTests(HnswFixture fixture) : IClassFixture<HnswFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-hnsw-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static double RecallAt10(IVectorIndex approx, IVectorIndex exact, float[][] queries, MetadataFilter? filter = null) =>
        VectorData.Recall(queries.Select(q => approx.Search(q, 10, filter)).ToList(), queries.Select(q => exact.Search(q, 10, filter)).ToList());

    [Fact]
    public void Recall_GaussianData_AtLeast95PercentAtEf100()
    {
        var d = fixture.Gaussian;
        double recall = RecallAt10(d.Hnsw, d.Exact, d.QueryVectors);
        Assert.True(recall >= 0.95, $"recall@10 = {recall:F3}");
    }

    [Fact]
    public void Recall_ClusteredData_AtLeast95PercentAtEf100()
    {
        var d = fixture.Clustered;
        double recall = RecallAt10(d.Hnsw, d.Exact, d.QueryVectors);
        Assert.True(recall >= 0.95, $"recall@10 = {recall:F3}");
    }

    [Fact]
    public void Recall_GrowsWithEfSearch()
    {
        var d = fixture.Gaussian;
        double Recall(int ef) => VectorData.Recall(d.QueryVectors.Select(q => d.Hnsw.Search(q, 10, null, ef)).ToList(),
            d.QueryVectors.Select(q => d.Exact.Search(q, 10)).ToList());
        double low = Recall(10), high = Recall(200);
        Assert.True(high > low, $"ef=10 → {low:F3}, ef=200 → {high:F3}");
        Assert.True(high >= 0.98, $"ef=200 → {high:F3}");
    }

    [Theory]
    [InlineData(VectorMetric.L2)]
    [InlineData(VectorMetric.Dot)]
    public void Recall_OtherMetrics_ClusteredData(VectorMetric metric)
    {
        var all = VectorData.Clustered(2100, 32, clusters: 20, seed: 17);
        var hnsw = new HnswIndex(32, metric, new HnswOptions { M = 12, EfConstruction = 80, EfSearch = 100, Seed = 5 });
        var exact = new ExactVectorIndex(32, metric);
        for (int i = 0; i < 2000; i++)
        {
            hnsw.Add($"m{i}", all[i]);
            exact.Add($"m{i}", all[i]);
        }
        double recall = RecallAt10(hnsw, exact, all[2000..]);
        Assert.True(recall >= 0.95, $"{metric} recall@10 = {recall:F3}");
    }

    [Fact]
    public void Scores_AreTheMetricsSimilarity()
    {
        var d = fixture.Clustered;
        var q = d.QueryVectors[0];
        var exact = d.Exact.Search(q, 10).ToDictionary(h => h.Id, h => h.Score);
        foreach (var hit in d.Hnsw.Search(q, 10))
        {
            if (exact.TryGetValue(hit.Id, out float s)) Assert.Equal(s, hit.Score, 1e-5f);
        }
    }

    [Fact]
    public void Build_IsDeterministicForASeed()
    {
        var data = fixture.Clustered.Data[..800];
        HnswIndex Make(ulong seed)
        {
            var index = new HnswIndex(HnswFixture.Dims, VectorMetric.Cosine, HnswFixture.Options with { Seed = seed, EfConstruction = 40 });
            for (int i = 0; i < data.Length; i++) index.Add(HnswFixture.Dataset.Id(i), data[i]);
            return index;
        }
        var a = Make(7);
        var b = Make(7);
        string pa = Path.Combine(_dir, "a.hnsw"), pb = Path.Combine(_dir, "b.hnsw");
        a.Save(pa);
        b.Save(pb);
        Assert.Equal(File.ReadAllBytes(pa), File.ReadAllBytes(pb));
        Make(8).Save(pb);
        Assert.NotEqual(File.ReadAllBytes(pa), File.ReadAllBytes(pb));
    }

    [Fact]
    public void SaveLoad_RoundTripGivesIdenticalResultsAndContinuesTheSameGraph()
    {
        var data = VectorData.Clustered(1200, 32, clusters: 10, seed: 5);
        var options = new HnswOptions { M = 8, EfConstruction = 60, EfSearch = 40, Seed = 3 };
        var original = new HnswIndex(32, VectorMetric.L2, options);
        for (int i = 0; i < 1000; i++) original.Add($"d{i}", data[i], new Dictionary<string, string> { ["n"] = i.ToString() });
        original.Remove("d5");
        string path = Path.Combine(_dir, "g.hnsw");
        original.Save(path);
        var loaded = HnswIndex.Load(path);
        Assert.Equal(original.Count, loaded.Count);
        Assert.Equal(1, loaded.TombstoneCount);
        Assert.Equal(options, loaded.Options);
        Assert.Equal("7", loaded.GetMetadata("d7")!["n"]);
        foreach (var q in data[1000..1050]) Assert.Equal(original.Search(q, 10), loaded.Search(q, 10));

        // Inserting the same vectors into both must produce the same graph: levels come from (seed, ordinal).
        for (int i = 1000; i < 1200; i++)
        {
            original.Add($"d{i}", data[i]);
            loaded.Add($"d{i}", data[i]);
        }
        string p1 = Path.Combine(_dir, "o.hnsw"), p2 = Path.Combine(_dir, "l.hnsw");
        original.Save(p1);
        loaded.Save(p2);
        Assert.Equal(File.ReadAllBytes(p1), File.ReadAllBytes(p2));
    }

    [Fact]
    public void Load_CorruptOrTruncatedFile_ThrowsNamingTheFile()
    {
        var index = new HnswIndex(8, VectorMetric.Cosine, new HnswOptions { M = 4, EfConstruction = 20 });
        foreach (var (v, i) in VectorData.Gaussian(100, 8, seed: 9).Select((v, i) => (v, i))) index.Add($"x{i}", v);
        string path = Path.Combine(_dir, "x.hnsw");
        index.Save(path);
        byte[] good = File.ReadAllBytes(path);
        for (int cut = 3; cut < good.Length; cut += good.Length / 7)
        {
            string truncated = Path.Combine(_dir, $"cut{cut}.hnsw");
            File.WriteAllBytes(truncated, good[..cut]);
            var e = Assert.Throws<KnowledgeException>(() => HnswIndex.Load(truncated));
            Assert.Contains(truncated, e.Message);
        }
        var bad = (byte[])good.Clone();
        bad[200] ^= 0x01;
        string corrupt = Path.Combine(_dir, "corrupt.hnsw");
        File.WriteAllBytes(corrupt, bad);
        Assert.Contains(corrupt, Assert.Throws<KnowledgeException>(() => HnswIndex.Load(corrupt)).Message);
    }

    [Fact]
    public void Remove_LeavesTombstonesThatNeverComeBack_AndCompactDropsThem()
    {
        var data = fixture.Clustered.Data[..2000];
        var queries = fixture.Clustered.QueryVectors[..40];
        var hnsw = new HnswIndex(HnswFixture.Dims, VectorMetric.Cosine, HnswFixture.Options with { EfConstruction = 60 });
        var exact = new ExactVectorIndex(HnswFixture.Dims);
        for (int i = 0; i < data.Length; i++)
        {
            hnsw.Add(HnswFixture.Dataset.Id(i), data[i]);
            exact.Add(HnswFixture.Dataset.Id(i), data[i]);
        }
        // Remove every current top-3 hit so the deleted nodes sit exactly where the queries land.
        var removed = queries.SelectMany(q => exact.Search(q, 3)).Select(h => h.Id).ToHashSet();
        foreach (var id in removed)
        {
            Assert.True(hnsw.Remove(id));
            exact.Remove(id);
        }
        Assert.Equal(removed.Count, hnsw.TombstoneCount);
        Assert.Equal(2000 - removed.Count, hnsw.Count);
        Assert.All(queries, q => Assert.DoesNotContain(hnsw.Search(q, 10), h => removed.Contains(h.Id)));
        Assert.True(RecallAt10(hnsw, exact, queries) >= 0.95);

        hnsw.Compact();
        Assert.Equal(0, hnsw.TombstoneCount);
        Assert.Equal(2000 - removed.Count, hnsw.Count);
        Assert.True(RecallAt10(hnsw, exact, queries) >= 0.95);
        Assert.False(hnsw.Contains(removed.First()));
    }

    [Fact]
    public void Upsert_ReplacesTheVector()
    {
        var index = new HnswIndex(2, VectorMetric.L2, new HnswOptions { M = 4 });
        index.Add("a", [0, 0]);
        index.Add("b", [10, 10]);
        index.Upsert("a", [20, 20], new Dictionary<string, string> { ["v"] = "2" });
        Assert.Equal(2, index.Count);
        var hits = index.Search([19, 19], 2);
        Assert.Equal(["a", "b"], hits.Select(h => h.Id));
        Assert.Equal(-MathF.Sqrt(2), hits[0].Score, 1e-5f);
        Assert.Equal("2", index.GetMetadata("a")!["v"]);
        Assert.Throws<KnowledgeException>(() => index.Add("a", [1, 1]));
    }

    [Fact]
    public void Filter_ReturnsOnlyMatchingHitsWithHighRecall()
    {
        var d = fixture.Clustered;
        var filter = MetadataFilter.In("bucket", ["3", "7"]);
        var queries = d.QueryVectors[..50];
        foreach (var q in queries)
            Assert.All(d.Hnsw.Search(q, 10, filter), h => Assert.Contains(d.Hnsw.GetMetadata(h.Id)!["bucket"], new[] { "3", "7" }));
        double recall = RecallAt10(d.Hnsw, d.Exact, queries, filter);
        Assert.True(recall >= 0.95, $"filtered recall@10 = {recall:F3}");
        // A selective filter (100 of 5,000 nodes) exhausts the visit budget and falls back to a scan of the matches: exact.
        var rare = MetadataFilter.And(MetadataFilter.Equal("bucket", "3"), MetadataFilter.Prefix("rare", "y"));
        Assert.Equal(RecallAt10(d.Exact, d.Exact, queries, rare), RecallAt10(d.Hnsw, d.Exact, queries, rare));
        foreach (var q in queries[..5]) Assert.Equal(d.Exact.Search(q, 10, rare), d.Hnsw.Search(q, 10, rare));
        // A filter nothing matches gives no hits rather than unfiltered ones.
        Assert.Empty(d.Hnsw.Search(queries[0], 10, MetadataFilter.Equal("bucket", "none")));
    }

    [Fact]
    public async Task ParallelSearches_MatchSequentialResults()
    {
        var d = fixture.Gaussian;
        var expected = d.QueryVectors.Select(q => d.Hnsw.Search(q, 10)).ToList();
        var results = new IReadOnlyList<VectorHit>[d.QueryVectors.Length * 4];
        await Parallel.ForAsync(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, (i, _) =>
        {
            results[i] = d.Hnsw.Search(d.QueryVectors[i % d.QueryVectors.Length], 10);
            return ValueTask.CompletedTask;
        });
        for (int i = 0; i < results.Length; i++) Assert.Equal(expected[i % expected.Count], results[i]);
    }

    [Fact]
    public async Task OneWriterAndParallelReaders_DoNotInterfere()
    {
        var data = VectorData.Gaussian(1200, 16, seed: 21);
        var index = new HnswIndex(16, VectorMetric.Dot, new HnswOptions { M = 8, EfConstruction = 40 });
        for (int i = 0; i < 200; i++) index.Add($"w{i}", data[i]);
        var ct = TestContext.Current.CancellationToken;
        var writer = Task.Run(() =>
        {
            for (int i = 200; i < 1200; i++) index.Add($"w{i}", data[i]);
            for (int i = 0; i < 100; i++) index.Remove($"w{i}");
        }, ct);
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            int searches = 0;
            while (!writer.IsCompleted || searches < 50)
            {
                var hits = index.Search(data[(searches * 7 + r) % data.Length], 5);
                Assert.InRange(hits.Count, 1, 5);
                Assert.Equal(hits.OrderByDescending(h => h.Score).Select(h => h.Id), hits.Select(h => h.Id));
                searches++;
            }
        }, ct)).ToArray();
        await Task.WhenAll(readers.Append(writer));
        Assert.Equal(1100, index.Count);
        Assert.Equal(100, index.TombstoneCount);
    }

    [Fact]
    public void IVectorIndexLoad_PicksTheTypeFromTheHeader()
    {
        var hnsw = new HnswIndex(3, VectorMetric.Dot);
        hnsw.Add("h", [1, 2, 3]);
        var exact = new ExactVectorIndex(3, VectorMetric.L2);
        exact.Add("e", [1, 2, 3]);
        string ph = Path.Combine(_dir, "h.bin"), pe = Path.Combine(_dir, "e.bin"), junk = Path.Combine(_dir, "junk.bin");
        hnsw.Save(ph);
        exact.Save(pe);
        File.WriteAllText(junk, "not an index at all");
        Assert.IsType<HnswIndex>(IVectorIndex.Load(ph));
        Assert.Equal(VectorMetric.L2, Assert.IsType<ExactVectorIndex>(IVectorIndex.Load(pe)).Metric);
        Assert.Contains(junk, Assert.Throws<KnowledgeException>(() => IVectorIndex.Load(junk)).Message);
        Assert.Contains("not found", Assert.Throws<KnowledgeException>(() => IVectorIndex.Load(Path.Combine(_dir, "none.bin"))).Message);
    }

    [Fact]
    public void EmptyIndex_ReturnsNothing()
    {
        var index = new HnswIndex(4);
        Assert.Empty(index.Search([1, 2, 3, 4], 5));
        string path = Path.Combine(_dir, "empty.hnsw");
        index.Save(path);
        Assert.Equal(0, HnswIndex.Load(path).Count);
    }
}
