// SearchAmong over both indexes: the exact top k of a subset, equal to an exact search filtered to that subset.
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using Xunit;

namespace RagTune.Knowledge.Tests.Dense;

public sealed class SearchAmongTests
{
    [Theory]
    [InlineData(VectorIndexKind.Exact)]
    [InlineData(VectorIndexKind.Hnsw)]
    public void TheTopKOfASubsetIsTheExactSearchFilteredToIt(VectorIndexKind kind)
    {
        var data = VectorData.Gaussian(600, 16, seed: 3);
        IVectorIndex index = kind == VectorIndexKind.Hnsw ? new HnswIndex(16, VectorMetric.Cosine) : new ExactVectorIndex(16, VectorMetric.Cosine);
        var oracle = new ExactVectorIndex(16, VectorMetric.Cosine);
        for (int i = 0; i < data.Length; i++)
        {
            var metadata = new Dictionary<string, string> { ["id"] = $"v{i}", ["part"] = (i % 4).ToString() };
            index.Add($"v{i}", data[i], metadata);
            oracle.Add($"v{i}", data[i], metadata);
        }
        index.Remove("v1");
        oracle.Remove("v1");
        var subset = Enumerable.Range(0, 600).Where(i => i % 5 < 2).Select(i => $"v{i}").Append("absent").ToList();
        var inSubset = MetadataFilter.In("id", subset);
        var part0 = MetadataFilter.Equal("part", "0");
        foreach (var query in VectorData.Gaussian(5, 16, seed: 9))
        {
            var expected = oracle.Search(query, 7, inSubset);
            Assert.Equal(expected.Select(h => (h.Id, h.Score)), index.SearchAmong(query, 7, subset).Select(h => (h.Id, h.Score)));
            Assert.Equal(oracle.Search(query, 7, inSubset.And(part0)).Select(h => h.Id), index.SearchAmong(query, 7, subset, part0).Select(h => h.Id));
        }
        Assert.Empty(index.SearchAmong(data[0], 0, subset));
    }
}
