// Exports over an earlier export are all-or-nothing per file: an export cancelled while it streams a file leaves the old
// file byte for byte (and no temporary file); the next complete export replaces it whole.
using RagTune.Engine.IO;
using RagTune.Raft.Export;
using RagTune.Raft.Generation;
using RagTune.Raft.Knowledge;
using RagTune.Raft.Sources;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class ExportDurabilityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Mines negatives with <paramref name="inner"/> and, at call <paramref name="cancelAt"/>, checks that the
    /// target's temporary file is being written and cancels the export.</summary>
    private sealed class CancellingNegatives(IHardNegativeProvider inner, int cancelAt, CancellationTokenSource cts, string target) : IHardNegativeProvider
    {
        private readonly IHardNegativeProvider _inner = inner;

        public int Calls { get; private set; }
        public bool WritingWhenCancelled { get; private set; }

        public Task<IReadOnlyList<RaftChunk>> FindSimilarAsync(string query, RaftChunk oracle, int count, CancellationToken cancellationToken = default)
        {
            if (++Calls == cancelAt)
            {
                WritingWhenCancelled = File.Exists(AtomicFile.TemporaryPath(target));
                cts.Cancel();
            }
            return _inner.FindSimilarAsync(query, oracle, count, cancellationToken);
        }
    }

    [Fact]
    public async Task A_cancelled_export_leaves_the_old_file_and_a_complete_one_replaces_it_whole()
    {
        var ct = TestContext.Current.CancellationToken;
        var chunks = TestCorpus.English(6, 2);
        await new RaftGenerator(new FakeTeacher(), new RaftOptions { QuestionsPerChunk = 2, Distractors = 2, TestFraction = 0.25 })
            .RunAsync(chunks, _dir["run"], null, ct);
        int trainExamples = RaftDataset.Load(_dir["run"]).Examples.Count(e => e.Split == "train");
        string target = Path.Combine(_dir["out"], "flagembedding_train.jsonl");

        // The first export draws negatives from the examples' distractors.
        await RaftExporter.ExportAsync(_dir["run"], _dir["out"], new RaftExportOptions { Formats = RaftExportFormats.FlagEmbedding }, ct);
        var old = await File.ReadAllBytesAsync(target, ct);
        Assert.Equal(trainExamples, File.ReadAllLines(target).Length);

        // The second mines negatives and is cancelled half-way through the train file.
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        await using var kb = await RaftKnowledgeBase.FromChunksAsync(chunks, ct);
        var mining = new CancellingNegatives(new KnowledgeBaseHardNegativeProvider(kb), trainExamples / 2, cts, target);
        var mined = new RaftExportOptions { Formats = RaftExportFormats.FlagEmbedding, Chunks = chunks, Negatives = mining };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => RaftExporter.ExportAsync(_dir["run"], _dir["out"], mined, cts.Token));
        Assert.True(mining.WritingWhenCancelled, "the cancellation came before the file was being written");
        Assert.Equal(old, await File.ReadAllBytesAsync(target, ct));
        Assert.Empty(Directory.GetFiles(_dir["out"], "*.tmp"));

        // A complete export replaces the file with every line of the new content.
        mined.Negatives = new KnowledgeBaseHardNegativeProvider(kb);
        await RaftExporter.ExportAsync(_dir["run"], _dir["out"], mined, ct);
        var lines = File.ReadAllLines(target);
        Assert.Equal(trainExamples, lines.Length);
        Assert.NotEqual(old, await File.ReadAllBytesAsync(target, ct));
        Assert.All(lines, l => System.Text.Json.JsonDocument.Parse(l).Dispose());
    }
}
