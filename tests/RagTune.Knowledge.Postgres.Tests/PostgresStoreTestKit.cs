// Helpers of the PostgreSQL store tests: hand-made batches, a fixed-vector embedder, and a comparable dump of a store.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Store;
using Xunit;

namespace RagTune.Knowledge.Postgres.Tests;

internal static class PostgresStoreTestKit
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A document with one coarse chunk and <paramref name="fine"/> fine chunks (level 1, indexed), each with a vector.</summary>
    public static DocumentUpsert Document(string id, string[] fine, Func<int, float[]>? vector = null, Dictionary<string, string>? metadata = null)
    {
        metadata ??= new Dictionary<string, string> { ["source"] = id + ".txt", ["title"] = id.ToUpperInvariant() };
        string text = string.Join(" ", fine);
        var chunks = new List<Chunk>
        {
            new() { Id = Chunk.MakeId(id, 0, 0), DocumentId = id, Text = text, Level = 0, Index = 0, StartChar = 0, EndChar = text.Length,
                TokenCount = fine.Length * 3, HeadingPath = ["Top", id], Metadata = metadata },
        };
        int at = 0;
        for (int i = 0; i < fine.Length; i++)
        {
            chunks.Add(new Chunk
            {
                Id = Chunk.MakeId(id, 1, i), DocumentId = id, Text = fine[i], Level = 1, Index = i, ParentId = Chunk.MakeId(id, 0, 0),
                StartChar = at, EndChar = at + fine[i].Length, TokenCount = 3, HeadingPath = ["Top"], Metadata = metadata, Oversized = i == 1,
            });
            at += fine[i].Length + 1;
        }
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        if (vector is not null)
            for (int i = 0; i < fine.Length; i++) vectors[Chunk.MakeId(id, 1, i)] = vector(i);
        var document = new StoredDocument
        {
            Id = id, SourcePath = "/corpus/" + id + ".txt", RelativePath = id + ".txt", Title = id.ToUpperInvariant(),
            ContentHash = new string('a', 64), Language = "en", TextLength = text.Length, Metadata = metadata, ChunksPerLevel = [1, fine.Length],
        };
        return new DocumentUpsert(document, chunks, vectors);
    }

    public static string Describe(Chunk c) =>
        $"{c.Id} doc={c.DocumentId} L{c.Level}#{c.Index} parent={c.ParentId} [{c.StartChar},{c.EndChar}) tokens={c.TokenCount} over={c.Oversized} " +
        $"head={string.Join('/', c.HeadingPath)} meta={Describe(c.Metadata)} text={c.Text}";

    public static string Describe(StoredDocument d) =>
        $"{d.Id} {d.SourcePath} {d.RelativePath} {d.Title} {d.ContentHash} {d.Language} {d.TextLength} meta={Describe(d.Metadata)} levels={string.Join(',', d.ChunksPerLevel)}";

    public static string Describe(IReadOnlyDictionary<string, string> metadata) =>
        string.Join(";", metadata.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>Files, documents and chunks of a store, in the contract's orders, as lines.</summary>
    public static async Task<List<string>> DumpAsync(IKnowledgeStore store)
    {
        var lines = new List<string>();
        foreach (var f in await store.GetFilesAsync(Ct)) lines.Add($"file {f.Root} {f.RelativePath} {f.ContentHash} {string.Join(',', f.DocumentIds)}");
        foreach (var d in await store.GetDocumentsAsync(Ct)) lines.Add("doc " + Describe(d));
        await foreach (var c in store.ReadChunksAsync(Ct)) lines.Add("chunk " + Describe(c));
        return lines;
    }

    /// <summary>Asserts the same ranking with scores within <paramref name="tolerance"/>. Hits whose scores tie within the
    /// tolerance may come in either order (each store breaks exact ties by id, but the two compute the last bits
    /// differently), and at the cut-off either of the tied hits may be the one kept.</summary>
    public static void AssertSameHits(IReadOnlyList<RagTune.Knowledge.Search.SearchHit> expected, IReadOnlyList<RagTune.Knowledge.Search.SearchHit> actual,
        double tolerance, string what)
    {
        string Show(IReadOnlyList<RagTune.Knowledge.Search.SearchHit> hits) => string.Join(", ", hits.Select(h => $"{h.Id}={h.Score:F6}"));
        string message = $"{what}: expected [{Show(expected)}] got [{Show(actual)}]";
        Assert.True(expected.Count == actual.Count, message);
        var expectedScores = expected.ToDictionary(h => h.Id, h => h.Score);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i].Score - actual[i].Score) <= tolerance, $"rank {i + 1}: {message}");
            if (expected[i].Id == actual[i].Id) continue;
            if (expectedScores.TryGetValue(actual[i].Id, out double score))
                Assert.True(Math.Abs(score - actual[i].Score) <= tolerance, $"{actual[i].Id} scores differ: {message}");
            else
                Assert.True(Math.Abs(actual[i].Score - expected[^1].Score) <= tolerance, $"{actual[i].Id} is not a tie at the cut-off: {message}");
        }
    }
}

/// <summary>An embedder that returns a given vector for every text (the query vector of a dense search).</summary>
internal sealed class FixedEmbedder(float[] vector) : IEmbeddingGenerator<string, Embedding<float>>
{
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default) =>
        Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(vector))));

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
