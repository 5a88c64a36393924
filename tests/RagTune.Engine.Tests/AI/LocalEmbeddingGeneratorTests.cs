// LocalEmbeddingGenerator against TextEmbedder and the PyTorch golden embeddings, plus the IEmbeddingGenerator contract:
// usage, metadata, options checks and non-mutation, cancellation, concurrency, disposal, DI registration.
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Engine.AI;
using RagTune.Engine.Models;
using RagTune.Engine.Tests.Kernels;
using RagTune.Engine.Tests.Models;
using Xunit;

namespace RagTune.Engine.Tests.AI;

public class LocalEmbeddingGeneratorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string[] Texts(JsonElement golden) => golden.GetProperty("texts").EnumerateArray().Select(e => e.GetString()!).ToArray();

    public static TheoryData<string> Encoders => new(Fixtures.Encoders);

    [Theory]
    [MemberData(nameof(Encoders))]
    public async Task Batch_equals_the_text_embedder_and_the_pytorch_embeddings(string fixture)
    {
        var golden = Fixtures.Golden(fixture);
        string[] texts = Texts(golden);
        using var generator = LocalEmbeddingGenerator.Load(Fixtures.Dir(fixture));

        var embeddings = await generator.GenerateAsync(texts, cancellationToken: Ct);

        Assert.Equal(texts.Length, embeddings.Count);
        var embedder = TextEmbedder.Load(Fixtures.Dir(fixture));
        var expected = golden.GetProperty("embeddings").EnumerateArray().Select(e => e.Floats()).ToArray();
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.Equal(embedder.Embed(texts[i]), embeddings[i].Vector.ToArray());
            KernelAgreementTests.AssertClose(expected[i], embeddings[i].Vector.Span, 1e-5f);
            Assert.Equal(fixture, embeddings[i].ModelId);
            Assert.Equal(generator.Embedder.Dimensions, embeddings[i].Dimensions);
        }
        long tokens = golden.GetProperty("input_ids").EnumerateArray().Sum(ids => ids.GetArrayLength());
        Assert.Equal(tokens, embeddings.Usage!.InputTokenCount);
        Assert.Equal(tokens, embeddings.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Metadata_options_and_disposal()
    {
        var generator = LocalEmbeddingGenerator.Load(Fixtures.Dir("bert-tiny-cls"), "bge-tiny");
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal("ragtune", metadata.ProviderName);
        Assert.Equal("bge-tiny", metadata.DefaultModelId);
        Assert.Equal(generator.Embedder.Dimensions, metadata.DefaultModelDimensions);
        Assert.Same(generator, generator.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Null(generator.GetService<EmbeddingGeneratorMetadata>("key"));

        var options = new EmbeddingGenerationOptions { Dimensions = generator.Embedder.Dimensions, ModelId = "bge-tiny" };
        string before = JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions);
        Assert.Single(await generator.GenerateAsync(["one text"], options, Ct));
        Assert.Equal(before, JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions));

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 8 }, Ct));
        Assert.Contains("Dimensions is 8", ex.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { ModelId = "other" }, Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["x", null!], null, Ct));
        Assert.Empty(await generator.GenerateAsync([], null, Ct));

        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(["x"], null, cancelled.Token));

        generator.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => generator.GenerateAsync(["x"], null, Ct));
    }

    [Fact]
    public async Task Concurrent_calls_give_the_sequential_embeddings()
    {
        using var generator = LocalEmbeddingGenerator.Load(Fixtures.Dir("xlmr-tiny-mean"));
        string[] texts = [.. Enumerable.Range(0, 12).Select(i => $"document {i}: RagTune indexes private files")];
        var sequential = (await generator.GenerateAsync(texts, null, Ct)).Select(e => e.Vector.ToArray()).ToArray();
        var concurrent = await Task.WhenAll(texts.Select(t => Task.Run(async () => (await generator.GenerateAsync([t], null, Ct))[0].Vector.ToArray(), Ct)));
        Assert.Equal(sequential, concurrent);
    }

    [Fact]
    public async Task Registered_through_dependency_injection()
    {
        using var provider = new ServiceCollection().AddLocalEmbeddingGenerator(Fixtures.Dir("bert-tiny-mean"), "bert-mean").BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Same(generator, provider.GetRequiredService<LocalEmbeddingGenerator>());
        var vector = await generator.GenerateVectorAsync("hello world", cancellationToken: Ct);
        Assert.Equal(provider.GetRequiredService<LocalEmbeddingGenerator>().Embedder.Embed("hello world"), vector.ToArray());
    }
}
