// Incremental ingestion: re-adding a folder re-indexes only new and changed files, drops deleted ones, and ends in
// exactly the state a fresh knowledge base built from the final folder has.
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class IncrementalIngestTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ChangeDeleteAndAddReindexOnlyThoseFilesAndMatchAFreshBuild()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var dir = new TempFolder();
        var embedder = new CountingEmbedder();
        await using var kb = await StoreTestKit.CreateAsync(Path.Combine(dir.Path, "incremental"), embedder);
        var first = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Equal(4, first.Added.Count);
        Assert.Equal(first.ChunksEmbedded, embedder.Inputs.Count);

        var unchanged = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Equal(4, unchanged.Unchanged);
        Assert.Equal(0, unchanged.Commits);
        Assert.Equal(0, unchanged.DocumentsIndexed);

        corpus.Write("tea.md", "# Tea\n\nThe autumn tea harvest gives darker, stronger leaves than the spring one.");
        File.Delete(Path.Combine(corpus.Path, "bread.txt"));
        corpus.Write("notes/new.md", "# Coffee\n\nEspresso is brewed by forcing hot water through finely ground coffee.");
        embedder.Inputs.Clear();
        var second = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);

        Assert.Equal(["notes/new.md"], second.Added);
        Assert.Equal(["tea.md"], second.Updated);
        Assert.Equal(["bread.txt"], second.Removed);
        Assert.Equal(2, second.Unchanged);
        Assert.Equal(2, second.DocumentsIndexed);
        // The only texts embedded are the fine chunks of the two (re)indexed files.
        var reindexed = new List<string>();
        await foreach (var chunk in kb.Store.ReadChunksAsync(Ct))
            if (chunk.Level == 1 && chunk.DocumentId is "tea.md" or "notes/new.md") reindexed.Add(chunk.Text);
        Assert.Equal(reindexed.Order(StringComparer.Ordinal), embedder.Inputs.Order(StringComparer.Ordinal));

        await using var fresh = await StoreTestKit.CreateAsync(Path.Combine(dir.Path, "fresh"), new CountingEmbedder());
        await fresh.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Equal(await StoreTestKit.SnapshotAsync(fresh), await StoreTestKit.SnapshotAsync(kb));
        var (a, b) = (await kb.GetStatsAsync(Ct), await fresh.GetStatsAsync(Ct));
        Assert.Equal((b.Documents, b.LexicalDocuments, b.Vectors), (a.Documents, a.LexicalDocuments, a.Vectors));
        Assert.Equal(b.ChunksPerLevel, a.ChunksPerLevel);

        // And the same after both are reloaded from disk.
        await using var reloaded = await StoreTestKit.OpenAsync(Path.Combine(dir.Path, "incremental"), new CountingEmbedder());
        Assert.Equal(await StoreTestKit.SnapshotAsync(fresh), await StoreTestKit.SnapshotAsync(reloaded));
    }

    [Fact]
    public async Task AFileThatTurnsBadKeepsItsPreviousVersion()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        corpus.Write("data.json", """{"text": "Oolong is partly oxidised tea."}""");
        using var dir = new TempFolder();
        await using var kb = await StoreTestKit.CreateAsync(dir.Path, new CountingEmbedder());
        await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        corpus.Write("data.json", "{ broken");
        var summary = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Equal("data.json", Assert.Single(summary.Failed).Path);
        Assert.Empty(summary.Updated);
        var hits = await kb.SearchAsync("oolong", new KnowledgeSearchOptions { Routes = ["bm25"] }, Ct);
        Assert.Equal("data.json#1", hits[0].DocumentId);
    }

    [Fact]
    public async Task A_file_whose_documents_are_all_refused_is_not_recorded_and_is_reported_again_on_rerun()
    {
        // Regression (issue 16): such a file was recorded with no documents, counted by `kb stats` as a file, and on the
        // next run seen as unchanged, so its failure was never reported again.
        using var first = new TempFolder();
        using var second = new TempFolder();
        first.Write("notes.md", "# Tea\n\nOolong is partly oxidised tea.");
        second.Write("notes.md", "# Coffee\n\nEspresso is brewed under pressure.");
        using var dir = new TempFolder();
        await using var kb = await StoreTestKit.CreateAsync(dir.Path, new CountingEmbedder());
        await kb.AddFolderAsync(first.Path, cancellationToken: Ct);

        for (int run = 0; run < 2; run++)
        {
            var summary = await kb.AddFolderAsync(second.Path, cancellationToken: Ct);
            Assert.Contains("already taken", Assert.Single(summary.Failed).Reason, StringComparison.Ordinal);
            Assert.Empty(summary.Added);
            var stats = await kb.GetStatsAsync(Ct);
            Assert.Equal((1, 0, 1), (stats.Files, stats.FilesWithoutDocuments, stats.Documents));
        }
    }

    [Fact]
    public async Task A_file_with_no_records_is_counted_apart_from_the_files_that_gave_documents()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        corpus.Write("empty.json", "[]");
        using var dir = new TempFolder();
        await using var kb = await StoreTestKit.CreateAsync(dir.Path, new CountingEmbedder());
        var summary = await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        Assert.Empty(summary.Failed);
        var stats = await kb.GetStatsAsync(Ct);
        Assert.Equal((4, 1), (stats.Files, stats.FilesWithoutDocuments));
        // Recorded all the same, so an unchanged empty file is not read again.
        Assert.Equal(5, (await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct)).Unchanged);
    }
}
