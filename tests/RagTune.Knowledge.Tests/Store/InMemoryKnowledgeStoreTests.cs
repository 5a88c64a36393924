// The in-memory store: the same chunks and rankings as the directory store for the same corpus and options, nothing on
// disk, and a bad batch applied all or nothing (also for the directory store, whose loaded state is an in-memory store).
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class InMemoryKnowledgeStoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AnInMemoryKnowledgeBaseMatchesTheDirectoryStoreChunkForChunkAndHitForHit()
    {
        await using var built = await BuiltKnowledgeBase.CreateAsync();
        await using var memory = new KnowledgeBase(new InMemoryKnowledgeStore(StoreTestKit.Options()),
            new KnowledgeBaseOpenOptions { EmbeddingGenerator = new CountingEmbedder() });
        var summary = await memory.AddFolderAsync(built.Corpus.Path, cancellationToken: Ct);
        Assert.Equal(4, summary.Added.Count);

        Assert.Equal(await StoreTestKit.SnapshotAsync(built.Kb), await StoreTestKit.SnapshotAsync(memory));
        var stats = await memory.GetStatsAsync(Ct);
        Assert.Equal(4, stats.Documents);
        Assert.Equal(0, stats.DiskBytes);
        Assert.True(stats.Vectors > 0);

        // Incremental re-adds and removal work as on disk.
        Assert.Equal(4, (await memory.AddFolderAsync(built.Corpus.Path, cancellationToken: Ct)).Unchanged);
        Assert.True(await memory.RemoveAsync("bread.txt", Ct));
        Assert.DoesNotContain(await memory.SearchAsync("sourdough starter", cancellationToken: Ct), h => h.DocumentId == "bread.txt");
    }

    [Fact]
    public async Task ABatchWithAChunkOfAnotherDocumentChangesNothing()
    {
        // Fails before: the directory store removed the replaced document from its loaded state, then threw.
        using var folder = new TempFolder();
        var stores = new IKnowledgeStore[]
        {
            new InMemoryKnowledgeStore(StoreTestKit.Options(embed: false)),
            FileSystemKnowledgeStore.Create(Path.Combine(folder.Path, "kb"), StoreTestKit.Options(embed: false)),
        };
        foreach (var store in stores)
        {
            await using var kb = new KnowledgeBase(store);
            await store.CommitAsync(new StoreBatch { Upserts = [Upsert("a", "a", "Green tea is steamed soon after picking.")] }, Ct);
            var bad = new StoreBatch { RemovedDocuments = ["a"], Upserts = [Upsert("b", "x", "Black tea is fully oxidised.")] };
            var e = await Assert.ThrowsAsync<KnowledgeException>(() => store.CommitAsync(bad, Ct));
            Assert.Contains("chunk 'b::1:0' belongs to document 'x'", e.Message);
            Assert.NotNull(await store.GetDocumentAsync("a", Ct));
            Assert.Equal("a::1:0", Assert.Single(await kb.SearchAsync("green tea", cancellationToken: Ct)).ChunkId);
        }
    }

    private static DocumentUpsert Upsert(string documentId, string chunkDocumentId, string text)
    {
        var chunk = new Chunk { Id = Chunk.MakeId(documentId, 1, 0), DocumentId = chunkDocumentId, Text = text, Level = 1, EndChar = text.Length };
        var document = new StoredDocument { Id = documentId, SourcePath = documentId, RelativePath = documentId, Title = documentId, ContentHash = "" };
        return new DocumentUpsert(document, [chunk], new Dictionary<string, float[]>());
    }
}
