// RAFT over a knowledge base: every chunk of the chosen level becomes a generation unit, and hard negatives come from
// the knowledge base's BM25 retriever — other documents, lexically related to the question.
using System.Text.Json;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Store;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests.Knowledge;

public sealed class KnowledgeBaseSourceTests
{
    private static readonly (string Path, string Text)[] Files =
    [
        ("en/turbine-nine.md", "# Turbine nine\n\nZirconium coolant loop nine holds 40 bar of pressure during normal operation.\n\n" +
            "The loop is flushed every spring by the maintenance crew, and the flush water is filtered twice before disposal. " +
            "Inspectors record the valve positions, the pump hours and the seal wear in the plant logbook after every flush."),
        ("en/turbine-seven.md", "# Turbine seven\n\nZirconium coolant loop seven holds 35 bar of pressure at full load."),
        ("en/canteen.txt", "Canteen opening hours are eight to five on weekdays, with a salad bar on Fridays."),
        ("en/holidays.txt", "Holiday requests go to the HR portal at least two weeks before the first day off."),
        ("zh/水泵甲.md", "# 一号水泵\n\n离心水泵压力为十六兆帕，一号水泵每季度检修一次。"),
        ("zh/水泵乙.md", "# 二号水泵\n\n离心水泵压力为十二兆帕，二号水泵每半年检修一次。"),
        ("zh/食堂.txt", "职工食堂早上七点开门，午餐供应到下午一点半。"),
    ];

    private static async Task<KnowledgeBase> BuildAsync(TempDir dir, CancellationToken ct)
    {
        var docs = dir["docs"];
        foreach (var (path, text) in Files)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(docs, path))!);
            await File.WriteAllTextAsync(Path.Combine(docs, path), text, ct);
        }
        var kb = await KnowledgeBase.CreateAsync(dir["kb"], new KnowledgeBaseOptions
        {
            Chunking = new HierarchicalChunkingOptions { Levels = [256, 24], OverlapTokens = 0 },
            Lexical = new() { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } },
        }, cancellationToken: ct);
        var summary = await kb.AddFolderAsync(docs, progress: null, ct);
        Assert.Empty(summary.Failed);
        return kb;
    }

    [Fact]
    public async Task Every_chunk_of_the_level_becomes_a_generation_unit()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var kb = await BuildAsync(dir, ct);
        var stats = await kb.GetStatsAsync(ct);

        var source = new KnowledgeBaseChunkSource(kb);
        Assert.Equal(1, source.Level);
        var chunks = await source.LoadChunksAsync(ct);
        Assert.Equal(stats.ChunksPerLevel[1], chunks.Count);
        Assert.True(chunks.Count > Files.Length, "the long English document is split into several fine chunks");
        Assert.Equal(Files.Length, chunks.Select(c => c.DocumentId).Distinct().Count());
        Assert.Contains(chunks, c => c.Title == "Turbine nine");
        Assert.Contains(chunks, c => c.Title == "一号水泵");
        var coarse = await new KnowledgeBaseChunkSource(kb, 0).LoadChunksAsync(ct);
        Assert.Equal(stats.ChunksPerLevel[0], coarse.Count);
        Assert.Equal(Files.Length, coarse.Count);
        var bad = await Assert.ThrowsAsync<RaftException>(() => new KnowledgeBaseChunkSource(kb, 2).LoadChunksAsync(ct));
        Assert.Contains("level 2", bad.Message);

        var run = dir["run"];
        var result = await new RaftGenerator(new FakeTeacher(), new RaftOptions { QuestionsPerChunk = 1, Distractors = 1, OracleProbability = 1.0 })
            .RunAsync(chunks, run, null, ct);
        Assert.Equal(chunks.Count, result.ChunksTotal);
        Assert.Equal(chunks.Count, result.ChunksDone);
        var examples = RaftDataset.Load(run).Examples;
        Assert.Equal(chunks.Select(c => c.Id).Order(StringComparer.Ordinal), examples.Select(e => e.ChunkId).Distinct().Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Hard_negatives_are_related_chunks_of_other_documents()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        await using var kb = await BuildAsync(dir, ct);
        var chunks = await new KnowledgeBaseChunkSource(kb).LoadChunksAsync(ct);
        var provider = new KnowledgeBaseHardNegativeProvider(kb);

        var nine = chunks.First(c => c.Text.Contains("loop nine", StringComparison.Ordinal));
        var similar = await provider.FindSimilarAsync("What pressure does the zirconium coolant loop hold?", nine, 2, ct);
        Assert.NotEmpty(similar);
        Assert.Equal("en/turbine-seven.md", similar[0].DocumentId);
        Assert.All(similar, c => Assert.NotEqual(nine.DocumentId, c.DocumentId));
        // Every hit shares a word with the query (BM25 scores nothing else); the best one shares the specific terms.
        string[] queryWords = ["what", "pressure", "does", "the", "zirconium", "coolant", "loop", "hold"];
        Assert.All(similar, c => Assert.Contains(c.Text.ToLowerInvariant().Split([' ', '.', ','], StringSplitOptions.RemoveEmptyEntries), queryWords.Contains));
        Assert.All(new[] { "zirconium", "coolant", "loop", "pressure" }, t => Assert.Contains(t, similar[0].Text, StringComparison.OrdinalIgnoreCase));

        var pumpA = chunks.First(c => c.Text.Contains("十六兆帕", StringComparison.Ordinal));
        var zh = await provider.FindSimilarAsync("离心水泵的压力是多少？", pumpA, 1, ct);
        Assert.Equal("zh/水泵乙.md", Assert.Single(zh).DocumentId);

        var byText = new KnowledgeBaseHardNegativeProvider(kb, new KnowledgeBaseHardNegativeOptions { Query = HardNegativeQuery.ChunkText });
        Assert.Equal("zh/水泵乙.md", (await byText.FindSimilarAsync("", pumpA, 1, ct))[0].DocumentId);
        Assert.Empty(await provider.FindSimilarAsync("pressure", nine, 0, ct));

        // Generation with the knowledge base's hard negatives: each distractor is from another document and shares a
        // query term with the question (the fake teacher's questions quote the chunk's opening words).
        var run = dir["run"];
        await new RaftGenerator(new FakeTeacher(), new RaftOptions { QuestionsPerChunk = 2, Distractors = 1, OracleProbability = 1.0, DistractorMode = DistractorMode.Hard }, null, provider)
            .RunAsync(chunks, run, null, ct);
        var examples = RaftDataset.Load(run).Examples;
        Assert.NotEmpty(examples);
        var docOf = chunks.ToDictionary(c => c.Id, c => c.DocumentId);
        foreach (var e in examples)
        {
            var distractors = e.DocumentIds.Where(id => id != e.ChunkId).ToList();
            Assert.Single(distractors);
            Assert.NotEqual(e.DocumentId, docOf[distractors[0]]);
        }
        Assert.All(examples.Where(e => e.DocumentId == "en/turbine-seven.md"), e => Assert.Contains(e.DocumentIds, id => docOf[id] == "en/turbine-nine.md"));
        Assert.All(examples.Where(e => e.DocumentId == "zh/水泵甲.md"), e => Assert.Contains(e.DocumentIds, id => docOf[id] == "zh/水泵乙.md"));
        Assert.All(examples.Where(e => e.DocumentId == "zh/水泵乙.md"), e => Assert.Contains(e.DocumentIds, id => docOf[id] == "zh/水泵甲.md"));
    }

    [Fact]
    public async Task Cli_estimates_generates_and_exports_from_a_knowledge_base()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDir();
        int total;
        IReadOnlyList<RaftChunk> chunks;
        await using (var kb = await BuildAsync(dir, ct))
        {
            chunks = await new KnowledgeBaseChunkSource(kb).LoadChunksAsync(ct);
            total = chunks.Count;
        }
        var estimate = await RagtuneCli.RunAsync("raft", "estimate", "--kb", dir["kb"], "--model", "gpt-4o-mini", "--questions", "1");
        Assert.True(estimate.Code == 0, estimate.Error);
        Assert.Matches($@"chunks\s*│\s*{total}\b", estimate.Output);

        await using var server = await ScriptedOpenAIServer.StartAsync();
        var (code, output, error) = await RagtuneCli.RunAsync("raft", "generate", "--kb", dir["kb"], "--run", dir["run"],
            "--endpoint", server.BaseUrl.ToString(), "--model", "teacher-x", "--api-key", "k", "--questions", "1", "--distractors", "1",
            "--oracle-probability", "1", "--negatives", "hard");
        Assert.True(code == 0, error + output);
        Assert.Contains($"{total}/{total}", output);
        var docOf = chunks.ToDictionary(c => c.Id, c => c.DocumentId);
        var examples = RaftDataset.Load(dir["run"]).Examples;
        Assert.All(examples.Where(e => e.DocumentId == "zh/水泵甲.md"), e => Assert.Contains(e.DocumentIds, id => docOf[id] == "zh/水泵乙.md"));

        (code, output, error) = await RagtuneCli.RunAsync("raft", "export", "--run", dir["run"], "--out", dir["out"], "--kb", dir["kb"], "--format", "flagembedding", "--negatives-per-query", "2");
        Assert.True(code == 0, error + output);
        var lines = Directory.GetFiles(dir["out"], "flagembedding_*.jsonl").SelectMany(File.ReadLines).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.NotEmpty(lines);
        var textDoc = chunks.GroupBy(c => c.Text).ToDictionary(g => g.Key, g => g.Select(c => c.DocumentId).ToHashSet());
        foreach (var line in lines)
        {
            var pos = line.GetProperty("pos")[0].GetString()!;
            var negs = line.GetProperty("neg").EnumerateArray().Select(n => n.GetString()!).ToList();
            Assert.Equal(2, negs.Count);
            Assert.All(negs, n => Assert.True(!textDoc[n].Overlaps(textDoc[pos]), $"negative from the positive's document: {n}"));
        }

        var both = await RagtuneCli.RunAsync("raft", "estimate", "--kb", dir["kb"], "--docs", dir["docs"], "--model", "m");
        Assert.NotEqual(0, both.Code);
        Assert.Contains("exactly one of --docs FOLDER, --chunks FILE.jsonl or --kb DIR", both.Error);
        var missing = await RagtuneCli.RunAsync("raft", "estimate", "--kb", dir["nope"], "--model", "m");
        Assert.NotEqual(0, missing.Code);
        Assert.Contains("kb.json", missing.Error);
    }
}
