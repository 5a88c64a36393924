// Shared pieces of the knowledge-base tests: a small mixed zh/en corpus, options that make chunking visible at test
// sizes, a counting deterministic embedder, and a snapshot of a knowledge base's state for equality checks.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using RagTune.Knowledge.Tests.Search;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

internal static class StoreTestKit
{
    public static readonly string[] Queries = ["vector index recall", "知识库 检索", "sourdough starter", "tea harvest"];

    /// <summary>Bigram analyzer (no dictionary load), two levels small enough that each file has several fine chunks,
    /// an injected ("local") embedding model and the exact vector index, so results are reproducible to the last bit.</summary>
    public static KnowledgeBaseOptions Options(bool embed = true) => new()
    {
        Chunking = new HierarchicalChunkingOptions { Levels = [60, 20], OverlapTokens = 4 },
        Lexical = new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } },
        Embedding = embed ? new EmbeddingSettings { Kind = EmbeddingKind.Local, Model = "fake-bow-32" } : new EmbeddingSettings(),
    };

    public static void WriteCorpus(TempFolder folder) => WriteCorpus(folder.Path);

    public static void WriteCorpus(string root)
    {
        Write(root, "vectors.md", """
            # Vector search

            An exact vector index scans every stored vector. Its recall is one by construction.

            ## HNSW

            HNSW builds a layered graph of neighbours. Search walks the graph greedily from the top layer.
            Recall depends on efSearch: a larger candidate list finds more true neighbours at a higher cost.
            """);
        Write(root, "zh/kb.md", """
            # 知识库

            知识库把文档切成块，并为每个块建立索引。检索时先匹配细粒度的块，再返回它们的父块。

            ## 中文分词

            中文没有空格，所以检索前要分词。没有词典时使用二元组。
            """);
        Write(root, "bread.txt", "A sourdough starter is flour and water fermented by wild yeast. Feed the starter daily. "
            + "Bake the loaf when the dough has doubled. A hot oven gives a crisp crust.");
        Write(root, "tea.md", """
            ---
            category: drinks
            ---
            # Tea

            The first tea harvest of spring gives the most delicate leaves. Green tea is steamed or pan-fired soon after picking.
            """);
    }

    private static void Write(string root, string relativePath, string text)
    {
        string path = Path.Combine(root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    public static async Task<KnowledgeBase> CreateAsync(string directory, CountingEmbedder? embedder, bool embed = true) =>
        await KnowledgeBase.CreateAsync(directory, Options(embed), new KnowledgeBaseOpenOptions { EmbeddingGenerator = embed ? embedder : null },
            TestContext.Current.CancellationToken);

    public static Task<KnowledgeBase> OpenAsync(string directory, CountingEmbedder? embedder) =>
        KnowledgeBase.OpenAsync(directory, new KnowledgeBaseOpenOptions { EmbeddingGenerator = embedder }, TestContext.Current.CancellationToken);

    /// <summary>Every chunk (id, text, parent, span) and the full ranking of every test query on every route setting.</summary>
    public static async Task<List<string>> SnapshotAsync(KnowledgeBase kb)
    {
        var lines = new List<string>();
        await foreach (var chunk in kb.Store.ReadChunksAsync(TestContext.Current.CancellationToken))
            lines.Add($"chunk {chunk.Id} parent={chunk.ParentId} [{chunk.StartChar},{chunk.EndChar}) {chunk.Text}");
        IReadOnlyList<string>[] routeSets = kb.Options.Embedding.Kind == EmbeddingKind.None ? [["bm25"]] : [["bm25"], ["dense"], ["bm25", "dense"]];
        foreach (var query in Queries)
            foreach (var routes in routeSets)
            {
                var hits = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 10, Routes = routes }, TestContext.Current.CancellationToken);
                lines.Add($"query {query} [{string.Join('+', routes)}]: " + string.Join(", ", hits.Select(h => $"{h.ChunkId}={h.Score:R}")));
            }
        return lines;
    }
}

/// <summary>The tests' bag-of-words embedder, counting every text it embeds (the work done by an ingestion).</summary>
internal sealed class CountingEmbedder(int dimensions = 32) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly FakeEmbeddingGenerator _inner = new(dimensions);

    public List<string> Inputs => _inner.Inputs;

    public Func<int, Task>? BeforeBatch { get; set; }

    private int _batches;

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (BeforeBatch is { } hook) await hook(Interlocked.Increment(ref _batches));
        return await _inner.GenerateAsync(values, options, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}

/// <summary>The test corpus in a temporary folder, ingested into a fresh knowledge base in another; both deleted on dispose.</summary>
internal sealed class BuiltKnowledgeBase : IAsyncDisposable
{
    private BuiltKnowledgeBase(TempFolder corpus, TempFolder directory, KnowledgeBase kb) => (Corpus, Directory, Kb) = (corpus, directory, kb);

    public TempFolder Corpus { get; }
    public TempFolder Directory { get; }
    public KnowledgeBase Kb { get; }

    public static async Task<BuiltKnowledgeBase> CreateAsync()
    {
        var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        var directory = new TempFolder();
        var kb = await StoreTestKit.CreateAsync(Path.Combine(directory.Path, "kb"), new CountingEmbedder());
        await kb.AddFolderAsync(corpus.Path, cancellationToken: TestContext.Current.CancellationToken);
        return new BuiltKnowledgeBase(corpus, directory, kb);
    }

    public async ValueTask DisposeAsync()
    {
        await Kb.DisposeAsync();
        Corpus.Dispose();
        Directory.Dispose();
    }
}
