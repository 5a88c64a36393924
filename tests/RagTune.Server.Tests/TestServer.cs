// A running server on 127.0.0.1 (Kestrel, port 0) for the tests: the tiny Qwen2 chat model, a BERT embedder, a real
// knowledge base built from TestData/docs, a rule router, a LoRA adapter of the chat model, and the UI folders.
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Store;
using RagTune.Server;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class TestServer : IAsyncDisposable
{
    private TestServer(WebApplication app, string? kbDirectory)
    {
        App = app;
        BaseAddress = new Uri(app.Urls.First());
        _kbDirectory = kbDirectory;
    }

    private readonly string? _kbDirectory;

    public WebApplication App { get; }
    public Uri BaseAddress { get; }
    public Uri ApiBase => new(BaseAddress, "/v1");
    public ServerStats Stats => App.Services.GetRequiredService<ServerStats>();

    public static string Data(string relative) => Path.Combine(AppContext.BaseDirectory, "TestData", relative);

    public static string ChatModelPath => Data("models/qwen2-tiny");
    public static string EmbeddingModelPath => Data("models/bert-tiny-cls");

    /// <summary>Builds the test knowledge base (BM25 over small chunks, CJK bigrams) in a fresh folder.</summary>
    /// <param name="dense">Also embed the chunks with the tiny BERT (hybrid BM25 + dense search).</param>
    public static string RerankerPath => Data("models/bert-tiny-reranker");

    public static async Task<string> BuildKnowledgeBaseAsync(bool dense = false, RerankerSettings? reranker = null, DocumentRouteSettings? documentRoute = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "ragtune-server-kb-" + Guid.NewGuid().ToString("N"));
        using var embedder = dense ? RagTune.Engine.AI.LocalEmbeddingGenerator.Load(EmbeddingModelPath, "embed") : null;
        await using var kb = await KnowledgeBase.CreateAsync(dir, new KnowledgeBaseOptions
        {
            Chunking = new HierarchicalChunkingOptions { Levels = [256, 48], OverlapTokens = 0 },
            Lexical = new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } },
            Embedding = dense ? new EmbeddingSettings { Kind = EmbeddingKind.Local, Model = "embed", ModelDirectory = EmbeddingModelPath } : new EmbeddingSettings(),
            Reranker = reranker,
            DocumentRoute = documentRoute,
        }, new KnowledgeBaseOpenOptions { EmbeddingGenerator = embedder });
        await kb.AddFolderAsync(Data("docs"));
        return dir;
    }

    /// <summary>The configuration most tests use; <paramref name="kbDirectory"/> null leaves knowledge bases and routers out.</summary>
    public static ServerOptions DefaultOptions(string? kbDirectory) => new()
    {
        Models =
        [
            new ModelEntry
            {
                Name = "tiny", Path = ChatModelPath, Kind = "chat", DefaultMaxTokens = 24,
                Adapters = [new AdapterEntry { Name = "tiny-lora", Path = TestAdapter.Path }],
            },
            new ModelEntry { Name = "embed", Path = EmbeddingModelPath, Kind = "embedding" },
        ],
        KnowledgeBases = kbDirectory is null ? [] : [new KnowledgeBaseEntry { Name = "docs", Path = kbDirectory, Generator = "tiny", TopK = 3 }],
        Routers = kbDirectory is null ? [] :
        [
            new RouterEntry
            {
                Name = "assistant", Default = "rag:docs",
                Rules = [new RouteRule { Pattern = @"^\s*(what is|compute|calculate)?\s*[-+*/().\d\s]+[=?]?\s*$|\d+\s*[-+*/]\s*\d+", Target = "tiny" }],
            },
        ],
        DatasetsFolder = Data("datasets"),
        ReportsFolder = Data("reports"),
        RunsFolder = Data("runs"),
    };

    public static async Task<TestServer> StartAsync(ServerOptions options, ServerServices? services = null, string? kbDirectory = null)
    {
        var app = await RagTuneServer.BuildAsync(options, ["http://127.0.0.1:0"], services);
        await app.StartAsync();
        return new TestServer(app, kbDirectory);
    }

    /// <summary>The shared server with the real knowledge base.</summary>
    public static async Task<TestServer> StartDefaultAsync()
    {
        string kb = await BuildKnowledgeBaseAsync();
        return await StartAsync(DefaultOptions(kb), kbDirectory: kb);
    }

    public HttpClient Http(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        if (_kbDirectory is not null && Directory.Exists(_kbDirectory)) Directory.Delete(_kbDirectory, recursive: true);
    }
}

/// <summary>One server for the whole test assembly (models and the knowledge base load once).</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await TestServer.StartDefaultAsync();

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
