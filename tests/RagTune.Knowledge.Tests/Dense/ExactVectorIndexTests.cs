// The exact index against its naive twin (double-precision scalar scores, full sort), plus edits, filters and persistence.
using Xunit;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Tests.Dense;

public sealed class ExactVectorIndexTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ragtune-exact-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (ExactVectorIndex Index, List<(string Id, float[] Vector)> Items) Build(VectorMetric metric, int n = 500, int dims = 24)
    {
        var data = VectorData.Gaussian(n, dims, seed: 7);
        var index = new ExactVectorIndex(dims, metric, initialCapacity: 4);
        var items = new List<(string, float[])>();
        for (int i = 0; i < n; i++)
        {
            string id = $"doc{i:D4}";
            index.Add(id, data[i], new Dictionary<string, string> { ["parity"] = i % 2 == 0 ? "even" : "odd", ["src"] = $"folder{i % 5}/f{i}.md" });
            items.Add((id, data[i]));
        }
        return (index, items);
    }

    [Theory]
    [InlineData(VectorMetric.Cosine)]
    [InlineData(VectorMetric.Dot)]
    [InlineData(VectorMetric.L2)]
    public void Search_MatchesNaiveTwin(VectorMetric metric)
    {
        var (index, items) = Build(metric);
        foreach (var query in VectorData.Gaussian(20, 24, seed: 99))
        {
            var expected = VectorData.BruteForce(items, query, metric, 10);
            var actual = index.Search(query, 10);
            Assert.Equal(expected.Select(e => e.Id), actual.Select(a => a.Id));
            for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i].Score, actual[i].Score, 1e-4);
        }
    }

    [Fact]
    public void Search_WithFilter_MatchesNaiveTwinOnTheFilteredSet()
    {
        var (index, items) = Build(VectorMetric.Cosine);
        var filter = MetadataFilter.Equal("parity", "odd").And(MetadataFilter.Prefix("src", "folder3/"));
        var query = VectorData.Gaussian(1, 24, seed: 5)[0];
        var keep = items.Select((it, i) => (it.Id, i)).Where(p => p.i % 2 == 1 && p.i % 5 == 3).Select(p => p.Id).ToHashSet();
        var expected = VectorData.BruteForce(items, query, VectorMetric.Cosine, 10, keep.Contains);
        var actual = index.Search(query, 10, filter);
        Assert.Equal(expected.Select(e => e.Id), actual.Select(a => a.Id));
        Assert.All(actual, h => Assert.Equal("odd", index.GetMetadata(h.Id)!["parity"]));
    }

    [Fact]
    public void Search_KLargerThanCount_ReturnsAllSortedAndZeroKReturnsNone()
    {
        var (index, items) = Build(VectorMetric.Dot, n: 7);
        var query = VectorData.Gaussian(1, 24, seed: 3)[0];
        var hits = index.Search(query, 50);
        Assert.Equal(7, hits.Count);
        Assert.Equal(VectorData.BruteForce(items, query, VectorMetric.Dot, 50).Select(e => e.Id), hits.Select(h => h.Id));
        Assert.Empty(index.Search(query, 0));
    }

    [Fact]
    public void Remove_And_Upsert_KeepStorageConsistent()
    {
        var (index, items) = Build(VectorMetric.Cosine, n: 100);
        for (int i = 0; i < 100; i += 3) Assert.True(index.Remove($"doc{i:D4}"));
        Assert.False(index.Remove("doc0000"));
        Assert.False(index.Contains("doc0003"));
        var replacement = VectorData.Gaussian(1, 24, seed: 1234)[0];
        index.Upsert("doc0001", replacement, new Dictionary<string, string> { ["tag"] = "new" });
        index.Upsert("fresh", replacement);
        Assert.Equal(100 - 34 + 1, index.Count);
        Assert.Equal("new", index.GetMetadata("doc0001")!["tag"]);

        var live = items.Where((it, i) => i % 3 != 0).Select(it => it.Id == "doc0001" ? (it.Id, replacement) : it).ToList();
        live.Add(("fresh", replacement));
        foreach (var query in VectorData.Gaussian(10, 24, seed: 42).Append(replacement))
        {
            var expected = VectorData.BruteForce(live, query, VectorMetric.Cosine, 15);
            Assert.Equal(expected.Select(e => e.Id), index.Search(query, 15).Select(h => h.Id));
        }
    }

    [Fact]
    public void Add_RejectsDuplicatesWrongShapesAndNonFiniteValues()
    {
        var index = new ExactVectorIndex(3);
        index.Add("a", [1, 0, 0]);
        var dup = Assert.Throws<KnowledgeException>(() => index.Add("a", [0, 1, 0]));
        Assert.Contains("'a'", dup.Message);
        var shape = Assert.Throws<KnowledgeException>(() => index.Add("b", [1, 0]));
        Assert.Contains("2 dimensions, expected 3", shape.Message);
        Assert.Throws<KnowledgeException>(() => index.Add("c", [1, float.NaN, 0]));
        Assert.Throws<KnowledgeException>(() => index.Search([1, 0], 1));
    }

    [Fact]
    public void Cosine_NormalisesAtInsert()
    {
        var index = new ExactVectorIndex(2, VectorMetric.Cosine);
        index.Add("long", [30, 40]);
        Assert.Equal([0.6f, 0.8f], index.GetVector("long")!);
        var hit = Assert.Single(index.Search([3, 4], 1));
        Assert.Equal(1f, hit.Score, 1e-6f);
    }

    [Fact]
    public void SaveLoad_RoundTripGivesIdenticalResults()
    {
        var (index, _) = Build(VectorMetric.L2);
        index.Remove("doc0010");
        string path = Path.Combine(_dir, "sub", "exact.idx");
        index.Save(path);
        var loaded = ExactVectorIndex.Load(path);
        Assert.Equal(index.Count, loaded.Count);
        Assert.Equal(VectorMetric.L2, loaded.Metric);
        Assert.Equal(24, loaded.Dimensions);
        Assert.Equal("odd", loaded.GetMetadata("doc0011")!["parity"]);
        foreach (var query in VectorData.Gaussian(10, 24, seed: 11))
            Assert.Equal(index.Search(query, 10), loaded.Search(query, 10));
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir, "sub"), "*.tmp*"));
    }

    [Fact]
    public void Load_CorruptTruncatedOrForeignFile_ThrowsNamingTheFile()
    {
        var (index, _) = Build(VectorMetric.Cosine, n: 50);
        string path = Path.Combine(_dir, "exact.idx");
        index.Save(path);
        byte[] good = File.ReadAllBytes(path);

        string flipped = Path.Combine(_dir, "flipped.idx");
        var bad = (byte[])good.Clone();
        bad[bad.Length - 100] ^= 0x40; // inside the vector block
        File.WriteAllBytes(flipped, bad);
        var e1 = Assert.Throws<KnowledgeException>(() => ExactVectorIndex.Load(flipped));
        Assert.Contains(flipped, e1.Message);
        Assert.Contains("checksum", e1.Message);

        string truncated = Path.Combine(_dir, "truncated.idx");
        File.WriteAllBytes(truncated, good[..(good.Length / 2)]);
        var e2 = Assert.Throws<KnowledgeException>(() => ExactVectorIndex.Load(truncated));
        Assert.Contains(truncated, e2.Message);

        string hnsw = Path.Combine(_dir, "graph.hnsw");
        new HnswIndex(24).Save(hnsw);
        var e3 = Assert.Throws<KnowledgeException>(() => ExactVectorIndex.Load(hnsw));
        Assert.Contains("magic", e3.Message);

        var e4 = Assert.Throws<KnowledgeException>(() => ExactVectorIndex.Load(Path.Combine(_dir, "missing.idx")));
        Assert.Contains("not found", e4.Message);
    }
}
