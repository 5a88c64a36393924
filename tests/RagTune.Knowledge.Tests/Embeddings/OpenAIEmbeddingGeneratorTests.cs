// The OpenAI SDK adapter against a real HTTP server speaking /v1/embeddings: batching, order, encodings, usage, errors.
using Microsoft.Extensions.AI;
using OpenAI.Embeddings;
using RagTune.Knowledge.Embeddings;
using Xunit;

namespace RagTune.Knowledge.Tests.Embeddings;

public sealed class OpenAIEmbeddingGeneratorTests : IAsyncLifetime
{
    private FakeEmbeddingsServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FakeEmbeddingsServer.StartAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private OpenAIEmbeddingGenerator Generator(int batchSize = 128, int? dimensions = null) => new(new OpenAIEmbeddingGeneratorOptions
    {
        Endpoint = _server.Endpoint,
        Model = "bge-m3",
        ApiKey = "sk-test",
        BatchSize = batchSize,
        Dimensions = dimensions,
    });

    private static readonly string[] Inputs = ["annual leave", "年假有多少天", "vpn token reset", "a", "expense claims and invoices"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BatchesInOrder_SumsUsage_InBothEncodings(bool serverIgnoresBase64)
    {
        _server.IgnoreEncodingFormat = serverIgnoresBase64;
        using var generator = Generator(batchSize: 2);
        var result = await generator.GenerateAsync(Inputs, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Inputs.Length, result.Count);
        for (int i = 0; i < Inputs.Length; i++)
        {
            Assert.Equal(FakeEmbeddingsServer.VectorFor(Inputs[i], 8), result[i].Vector.ToArray());
            Assert.Equal("bge-m3", result[i].ModelId);
        }
        Assert.Equal(3, _server.Requests.Count);
        Assert.Equal([2, 2, 1], _server.Requests.Select(r => r.Body["input"]!.AsArray().Count));
        Assert.All(_server.Requests, r => Assert.Equal("Bearer sk-test", r.Authorization));
        Assert.All(_server.Requests, r => Assert.Equal("bge-m3", r.Body["model"]!.GetValue<string>()));
        // The SDK asks for base64; the server answered base64 or, ignoring that, floats.
        Assert.All(_server.Requests, r => Assert.Equal("base64", r.Body["encoding_format"]?.GetValue<string>()));
        Assert.Equal(11, result.Usage!.InputTokenCount); // 2 + 1 + 3 + 1 + 4 words
        Assert.Equal(11, result.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task Dimensions_FromOptionsOrPerCall()
    {
        using var generator = Generator(dimensions: 16);
        var ct = TestContext.Current.CancellationToken;
        var a = await generator.GenerateAsync(["x"], cancellationToken: ct);
        Assert.Equal(16, a[0].Vector.Length);
        Assert.Equal(16, _server.Requests[0].Body["dimensions"]!.GetValue<int>());
        var b = await generator.GenerateAsync(["x"], new Microsoft.Extensions.AI.EmbeddingGenerationOptions { Dimensions = 4, ModelId = "other" }, ct);
        Assert.Equal(FakeEmbeddingsServer.VectorFor("x", 4), b[0].Vector.ToArray());
        Assert.Equal("other", _server.Requests[1].Body["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task ServerError_BecomesKnowledgeExceptionWithStatusAndModel()
    {
        _server.FailWith = 404;
        using var generator = Generator();
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => generator.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("HTTP 404", e.Message);
        Assert.Contains("'bge-m3'", e.Message);
    }

    [Fact]
    public async Task Cancellation_IsHonoured()
    {
        using var generator = Generator();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(["x"], cancellationToken: cts.Token));
    }

    [Fact]
    public void Metadata_And_Services()
    {
        using var generator = Generator(dimensions: 16);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal("openai", metadata.ProviderName);
        Assert.Equal(_server.Endpoint, metadata.ProviderUri);
        Assert.Equal("bge-m3", metadata.DefaultModelId);
        Assert.Equal(16, metadata.DefaultModelDimensions);
        Assert.NotNull(generator.GetService<EmbeddingClient>());
        Assert.Null(generator.GetService<EmbeddingGeneratorMetadata>("some key"));
    }

    [Fact]
    public async Task ApiKey_FromEnvironmentOrPlaceholderForLocalServers()
    {
        string variable = "RAGTUNE_TEST_KEY_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "sk-from-env");
        try
        {
            var ct = TestContext.Current.CancellationToken;
            using var fromEnv = new OpenAIEmbeddingGenerator(new() { Endpoint = _server.Endpoint, Model = "m", ApiKeyEnvironmentVariable = variable });
            await fromEnv.GenerateAsync(["x"], cancellationToken: ct);
            Assert.Equal("Bearer sk-from-env", _server.Requests[^1].Authorization);

            using var local = new OpenAIEmbeddingGenerator(new() { Endpoint = _server.Endpoint, Model = "m", ApiKeyEnvironmentVariable = variable + "_UNSET" });
            await local.GenerateAsync(["x"], cancellationToken: ct);
            Assert.Equal("Bearer no-key", _server.Requests[^1].Authorization);
        }
        finally { Environment.SetEnvironmentVariable(variable, null); }

        var e = Assert.Throws<KnowledgeException>(() => new OpenAIEmbeddingGenerator(new() { Model = "text-embedding-3-small", ApiKeyEnvironmentVariable = "RAGTUNE_SURELY_UNSET" }));
        Assert.Contains("RAGTUNE_SURELY_UNSET", e.Message);
        Assert.Throws<KnowledgeException>(() => new OpenAIEmbeddingGenerator(new() { Model = " ", ApiKey = "k" }));
        Assert.Throws<KnowledgeException>(() => new OpenAIEmbeddingGenerator(new() { Model = "m", ApiKey = "k", BatchSize = 0 }));
    }
}
