// Statistical checks of context assembly over many examples: the oracle fraction P, k distinct distractors from other documents, shuffling.
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class ContextStatisticsTests
{
    private static async Task<IReadOnlyList<RaftExample>> GenerateAsync(RaftOptions options, List<RaftChunk> chunks, IHardNegativeProvider? hard = null)
    {
        using var dir = new TempDir();
        await new RaftGenerator(new FakeTeacher(), options, null, hard).RunAsync(chunks, dir.Path, null, TestContext.Current.CancellationToken);
        return RaftDataset.Load(dir.Path).Examples;
    }

    [Theory]
    [InlineData(0.8)]
    [InlineData(0.3)]
    public async Task Oracle_fraction_and_distractors_follow_the_settings(double p)
    {
        var chunks = TestCorpus.English(40, 5);
        var byId = chunks.ToDictionary(c => c.Id);
        var examples = await GenerateAsync(new RaftOptions { QuestionsPerChunk = 5, Distractors = 4, OracleProbability = p, Seed = 11, ChunkConcurrency = 8 }, chunks);
        var n = examples.Count;
        Assert.Equal(1000, n);

        // Binomial(n, P): within 5 standard deviations (a false alarm about once in 3.5 million runs).
        var included = examples.Count(e => e.OracleIncluded);
        var sd = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(included, n * p - 5 * sd, n * p + 5 * sd);

        var positions = new int[5];
        var asDistractor = new Dictionary<string, int>();
        foreach (var e in examples)
        {
            Assert.Equal(5, e.Documents.Count);
            Assert.Equal(5, e.DocumentIds.Distinct().Count());
            Assert.Equal(e.OracleIncluded, e.DocumentIds.Contains(e.ChunkId));
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(byId[e.DocumentIds[i]].Text, e.Documents[i]);
                Assert.Equal(byId[e.DocumentIds[i]].DisplayTitle, e.Titles[i]);
                if (e.DocumentIds[i] == e.ChunkId)
                {
                    positions[i]++;
                    continue;
                }
                Assert.NotEqual(e.DocumentId, byId[e.DocumentIds[i]].DocumentId);
                asDistractor[e.DocumentIds[i]] = asDistractor.GetValueOrDefault(e.DocumentIds[i]) + 1;
            }
        }
        // Shuffled: the oracle's slot is uniform over the 5 positions.
        var psd = Math.Sqrt(included * 0.2 * 0.8);
        Assert.All(positions, c => Assert.InRange(c, included * 0.2 - 5 * psd, included * 0.2 + 5 * psd));
        // Distractors are spread over the whole corpus: every chunk is used, none dominates (≈ Poisson around the mean).
        var mean = asDistractor.Values.Sum() / 200.0;
        Assert.Equal(200, asDistractor.Count);
        Assert.All(asDistractor.Values, c => Assert.InRange(c, mean - 5 * Math.Sqrt(mean), mean + 5 * Math.Sqrt(mean)));
    }

    [Fact]
    public async Task P_of_one_always_and_zero_never_includes_the_oracle()
    {
        var chunks = TestCorpus.English(6, 2);
        var always = await GenerateAsync(new RaftOptions { QuestionsPerChunk = 3, Distractors = 3, OracleProbability = 1.0 }, chunks);
        Assert.All(always, e => Assert.True(e.OracleIncluded && e.Documents.Count == 4));
        var never = await GenerateAsync(new RaftOptions { QuestionsPerChunk = 3, Distractors = 3, OracleProbability = 0.0 }, chunks);
        Assert.All(never, e => Assert.True(!e.OracleIncluded && e.Documents.Count == 4 && !e.DocumentIds.Contains(e.ChunkId)));
        var alone = await GenerateAsync(new RaftOptions { QuestionsPerChunk = 1, Distractors = 0, OracleProbability = 1.0 }, chunks);
        Assert.All(alone, e => Assert.Equal([e.ChunkId], e.DocumentIds));
    }

    [Fact]
    public async Task Hard_negatives_pick_similar_chunks_of_other_documents()
    {
        var chunks = new List<RaftChunk>
        {
            new("a#0", "a", "The zirconium coolant loop of turbine nine holds 40 bar of pressure."),
            new("a#1", "a", "The zirconium coolant loop of turbine nine is flushed yearly."),
            new("b#0", "b", "The zirconium coolant loop of turbine seven holds 35 bar of pressure."),
            new("c#0", "c", "Canteen opening hours are eight to five."),
            new("d#0", "d", "Holiday requests go to the HR portal."),
            new("e#0", "e", "Parking permits are renewed each January."),
        };
        await using var kb = await RaftKnowledgeBase.FromChunksAsync(chunks, TestContext.Current.CancellationToken);
        var provider = new KnowledgeBaseHardNegativeProvider(kb);
        var similar = await provider.FindSimilarAsync("What pressure does the zirconium coolant loop hold?", chunks[0], 2, TestContext.Current.CancellationToken);
        Assert.Equal("b#0", similar[0].Id);
        Assert.DoesNotContain(similar, c => c.DocumentId == "a");

        var examples = await GenerateAsync(new RaftOptions { QuestionsPerChunk = 2, Distractors = 1, OracleProbability = 1.0, DistractorMode = DistractorMode.Hard }, chunks, provider);
        Assert.All(examples.Where(e => e.DocumentId == "a"), e => Assert.Contains("b#0", e.DocumentIds));
        Assert.All(examples, e => Assert.DoesNotContain(e.DocumentIds, id => id != e.ChunkId && id.Split('#')[0] == e.DocumentId));
        var missing = await Assert.ThrowsAsync<RaftException>(() => GenerateAsync(new RaftOptions { Distractors = 1, DistractorMode = DistractorMode.Hard }, chunks));
        Assert.Contains("hard-negative provider", missing.Message);
    }

    [Fact]
    public async Task Hard_negative_ranking_is_a_consistent_top_k()
    {
        var chunks = TestCorpus.English(12, 4).Concat(TestCorpus.Chinese(6, 2)).ToList();
        await using var kb = await RaftKnowledgeBase.FromChunksAsync(chunks, TestContext.Current.CancellationToken);
        var provider = new KnowledgeBaseHardNegativeProvider(kb);
        foreach (var oracle in chunks.Where((_, i) => i % 7 == 0))
        {
            // BM25 returns the chunks sharing a term with the query: here every chunk of another document.
            var all = await provider.FindSimilarAsync("pump pressure bar 水泵 压力", oracle, 100, TestContext.Current.CancellationToken);
            Assert.Equal(chunks.Count(c => c.DocumentId != oracle.DocumentId), all.Count);
            Assert.Equal(all.Count, all.Select(c => c.Id).Distinct().Count());
            foreach (var k in new[] { 0, 1, 3, 10 })
                Assert.Equal(all.Take(k), await provider.FindSimilarAsync("pump pressure bar 水泵 压力", oracle, k, TestContext.Current.CancellationToken));
        }
    }

    [Fact]
    public void Test_split_takes_a_rounded_share_of_chunks_deterministically()
    {
        var chunks = TestCorpus.English(10, 3);
        var a = RaftGenerator.TestChunks(chunks, new RaftOptions { TestFraction = 0.1, Seed = 3 });
        Assert.Equal(3, a.Count);
        Assert.Equal(a, RaftGenerator.TestChunks(chunks.AsEnumerable().Reverse().ToList(), new RaftOptions { TestFraction = 0.1, Seed = 3 }));
        Assert.NotEqual(a, RaftGenerator.TestChunks(chunks, new RaftOptions { TestFraction = 0.1, Seed = 4 }));
        Assert.Single(RaftGenerator.TestChunks(chunks.Take(3).ToList(), new RaftOptions { TestFraction = 0.1 }));
        Assert.Empty(RaftGenerator.TestChunks(chunks, new RaftOptions { TestFraction = 0 }));
    }

    [Fact]
    public void Chunk_random_is_uniform_and_keyed()
    {
        var r = new ChunkRandom(1, "x", "c");
        var counts = new int[7];
        for (var i = 0; i < 70_000; i++)
            counts[r.Next(7)]++;
        Assert.All(counts, c => Assert.InRange(c, 10_000 - 5 * 93, 10_000 + 5 * 93));
        Assert.Equal(new ChunkRandom(1, "x", "c").NextUInt64(), new ChunkRandom(1, "x", "c").NextUInt64());
        Assert.NotEqual(new ChunkRandom(1, "x", "c").NextUInt64(), new ChunkRandom(1, "x", "d").NextUInt64());
        Assert.NotEqual(new ChunkRandom(1, "x", "c").NextUInt64(), new ChunkRandom(2, "x", "c").NextUInt64());
    }
}
