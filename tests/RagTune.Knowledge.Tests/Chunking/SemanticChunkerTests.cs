// Semantic chunking with a deterministic keyword embedder: known breakpoint, window texts, percentile, limits, sections.
using Xunit;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Tests.Chunking;

public sealed class SemanticChunkerTests
{
    private const string CatsThenStocks =
        "The cat sleeps. A cat purrs. Every cat hunts. The stock rose. A stock fell. Each stock trades.";

    [Theory]
    [InlineData(1)]
    [InlineData(0)]
    public async Task BreaksWhereTheTopicChanges(int buffer)
    {
        // Buffer 1, windows as bags of (cat, stock): (2,0) (3,0) (2,1) (1,2) (0,3) (0,2); cosine distances
        // 0, 1-3/√5·… = 0.1056, 0.2, 0.1056, 0; the 95th percentile is 0.1056 + 0.8·(0.2 − 0.1056) = 0.181, exceeded only after
        // sentence 3. Buffer 0: distances 0,0,1,0,0, threshold 0.8, same break.
        var embedder = new KeywordEmbedder();
        var doc = ChunkAssert.Doc(CatsThenStocks);
        var chunks = await new SemanticChunker(embedder, new WordCounter())
            .ChunkAsync(doc, new SemanticChunkingOptions { BufferSize = buffer }, TestContext.Current.CancellationToken);

        Assert.Equal(["The cat sleeps. A cat purrs. Every cat hunts.", "The stock rose. A stock fell. Each stock trades."], chunks.Select(c => c.Text));
        Assert.Equal(6, embedder.Inputs.Count);
        Assert.Equal(buffer == 1 ? "The cat sleeps. A cat purrs." : "The cat sleeps.", embedder.Inputs[0]);
        Assert.Equal(buffer == 1 ? "A cat purrs. Every cat hunts. The stock rose." : "Every cat hunts.", embedder.Inputs[2]);
        ChunkAssert.Valid(doc, chunks, 512, new WordCounter());
    }

    [Fact]
    public async Task OverlongGroupsAreSplitBySentences()
    {
        var doc = ChunkAssert.Doc(CatsThenStocks);
        var chunks = await new SemanticChunker(new KeywordEmbedder(), new WordCounter())
            .ChunkAsync(doc, new SemanticChunkingOptions { MaxTokens = 7 }, TestContext.Current.CancellationToken);
        Assert.Equal(["The cat sleeps. A cat purrs.", "Every cat hunts.", "The stock rose. A stock fell.", "Each stock trades."], chunks.Select(c => c.Text));
        Assert.Equal([0, 1, 2, 3], chunks.Select(c => c.Index));
        ChunkAssert.Valid(doc, chunks, 7, new WordCounter());
    }

    [Fact]
    public async Task HeadingsAreAlwaysBreakpoints()
    {
        const string text = "Cats\n\nThe cat sleeps. A cat purrs. Every cat hunts.\n\nMore cats\n\nThe cat rests. A cat eats.";
        var more = text.IndexOf("More cats", StringComparison.Ordinal);
        var doc = ChunkAssert.Doc(text, sections: [new DocumentSection("Cats", 1, 0, 4, more), new DocumentSection("More cats", 1, more, more + 9, text.Length)]);
        var chunks = await new SemanticChunker(new KeywordEmbedder(), new WordCounter()).ChunkAsync(doc, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Contains(chunks, c => c.StartChar == more);
        Assert.DoesNotContain(chunks, c => c.StartChar < more && c.EndChar > more);
        Assert.Equal(["More cats"], chunks[^1].HeadingPath);
        ChunkAssert.Valid(doc, chunks, 512, new WordCounter());
    }

    [Theory]
    [InlineData(new[] { 1.0, 2, 3, 4, 5 }, 95, 4.8)]     // numpy.percentile values (linear interpolation)
    [InlineData(new[] { 10.0, 0, 5 }, 50, 5.0)]
    [InlineData(new[] { 3.0, 1, 2, 10 }, 95, 8.95)]
    [InlineData(new[] { 0.25 }, 95, 0.25)]
    [InlineData(new[] { 3.0, 1, 2, 10 }, 0, 1.0)]
    [InlineData(new[] { 3.0, 1, 2, 10 }, 100, 10.0)]
    public void PercentileMatchesNumpy(double[] values, double percentile, double expected) =>
        Assert.Equal(expected, SemanticChunker.Percentile(values, percentile), 10);

    [Fact]
    public async Task SingleSentenceNeedsNoEmbeddings()
    {
        var embedder = new KeywordEmbedder();
        var chunks = await new SemanticChunker(embedder).ChunkAsync(ChunkAssert.Doc("Only one sentence."), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("Only one sentence.", Assert.Single(chunks).Text);
        Assert.Empty(embedder.Inputs);
    }

    [Fact]
    public async Task CancellationReachesTheGenerator()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SemanticChunker(new KeywordEmbedder()).ChunkAsync(ChunkAssert.Doc(CatsThenStocks), cancellationToken: cancelled.Token));
    }

    /// <summary>Embeds a text as the counts of the words "cat" and "stock" (plus a small constant so no vector is zero).</summary>
    private sealed class KeywordEmbedder : IEmbeddingGenerator<string, Embedding<float>>
    {
        public List<string> Inputs { get; } = [];

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var embeddings = new GeneratedEmbeddings<Embedding<float>>();
            foreach (var value in values)
            {
                Inputs.Add(value);
                var words = value.Split(' ', '.', '\n');
                embeddings.Add(new Embedding<float>(new[] { words.Count(w => w == "cat"), words.Count(w => w == "stock") }.Select(c => (float)c).ToArray()));
            }
            return Task.FromResult(embeddings);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
