// The in-process encoder adapter: batching, order, shape checks, cancellation and metadata.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Embeddings;
using Xunit;

namespace RagTune.Knowledge.Tests.Embeddings;

public sealed class LocalEmbeddingGeneratorTests
{
    private readonly List<int> _batches = [];

    // Stands in for TextEmbedder.Embed(IReadOnlyList<string>, CancellationToken): vector = [length, first char].
    private float[][] Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        lock (_batches) _batches.Add(texts.Count);
        return texts.Select(t => new float[] { t.Length, t.Length > 0 ? t[0] : 0 }).ToArray();
    }

    [Fact]
    public async Task BatchesAndKeepsOrder()
    {
        using var generator = new LocalEmbeddingGenerator(Encode, "bge-small-zh-v1.5", 2, batchSize: 3);
        string[] texts = ["a", "bb", "年假", "dddd", "e", "ffffff", "g"];
        var result = await generator.GenerateAsync(texts, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(texts.Select(t => new float[] { t.Length, t[0] }), result.Select(e => e.Vector.ToArray()));
        Assert.Equal([3, 3, 1], _batches);
        Assert.All(result, e => Assert.Equal("bge-small-zh-v1.5", e.ModelId));
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal(2, metadata.DefaultModelDimensions);
        Assert.Equal("bge-small-zh-v1.5", metadata.DefaultModelId);
    }

    [Fact]
    public async Task WrongShapesAndCancellation()
    {
        var ct = TestContext.Current.CancellationToken;
        using var wrongDims = new LocalEmbeddingGenerator(Encode, "m", 3);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => wrongDims.GenerateAsync(["x"], cancellationToken: ct));
        Assert.Contains("2 dimensions, expected 3", e.Message);
        using var dropsOne = new LocalEmbeddingGenerator((t, _) => [[1f, 2f]], "m", 2);
        await Assert.ThrowsAsync<KnowledgeException>(() => dropsOne.GenerateAsync(["x", "y"], cancellationToken: ct));
        using var ok = new LocalEmbeddingGenerator(Encode, "m", 2);
        await Assert.ThrowsAsync<KnowledgeException>(() => ok.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 8 }, ct));
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ok.GenerateAsync(["x"], cancellationToken: cts.Token));
    }
}
