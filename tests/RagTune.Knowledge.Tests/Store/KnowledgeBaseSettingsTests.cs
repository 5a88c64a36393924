// kb.json settings reach the parts they configure: a jieba dictionary, an engine tokenizer for chunk sizes, the HNSW
// index (and its reload), and the reranking stage.
using RagTune.Engine.Tokenizers;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using RagTune.Knowledge.Text;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class KnowledgeBaseSettingsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AJiebaDictionaryGivesWholeWordTermsAndIsRecordedInKbJson()
    {
        using var dir = new TempFolder();
        // A real (tiny) jieba dictionary: "word frequency tag" lines.
        string dict = dir.Write("dict.txt", "知识库 500 n\n知识 300 n\n分词 400 n\n文档 300 n\n检索 300 v\n中文 300 nz\n没有 300 v\n空格 200 n\n");
        StoreTestKit.WriteCorpus(Path.Combine(dir.Path, "docs"));
        var options = StoreTestKit.Options(embed: false) with
        {
            Lexical = new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Jieba, DictionaryPath = dict } },
        };
        await using (var kb = await KnowledgeBase.CreateAsync(Path.Combine(dir.Path, "kb"), options, cancellationToken: Ct))
            await kb.AddFolderAsync(Path.Combine(dir.Path, "docs"), cancellationToken: Ct);
        Assert.Contains(dict.Replace("\\", "\\\\"), await File.ReadAllTextAsync(Path.Combine(dir.Path, "kb", "kb.json"), Ct));

        await using var reopened = await KnowledgeBase.OpenAsync(Path.Combine(dir.Path, "kb"), cancellationToken: Ct);
        Assert.Equal(ChineseMode.Jieba, reopened.Options.Lexical.Analyzer.ChineseMode);
        var hits = await reopened.SearchAsync("知识库", new KnowledgeSearchOptions { K = 3 }, Ct);
        Assert.Equal("zh/kb.md", hits[0].DocumentId);
        // jieba keeps the dictionary word whole; bigrams would have matched "知识" and "识库".
        Assert.Equal(["知识库"], hits[0].MatchedTerms);
    }

    [Fact]
    public async Task AnEngineTokenizerSizesTheChunks()
    {
        using var dir = new TempFolder();
        string model = Path.Combine(dir.Path, "model");
        // A BERT WordPiece vocabulary: long words outside it are one [UNK] token each, where the estimate counts ~4.
        dir.Write("model/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\na\n.\n,\n");
        string text = string.Join(" ", Enumerable.Range(0, 120).Select(i => i % 10 == 9 ? "the extraordinarily." : "incomprehensibilities"));
        dir.Write("docs/long.txt", text);
        var options = StoreTestKit.Options(embed: false) with { TokenizerPath = model };
        await using var kb = await KnowledgeBase.CreateAsync(Path.Combine(dir.Path, "kb"), options, cancellationToken: Ct);
        await kb.AddFolderAsync(Path.Combine(dir.Path, "docs"), cancellationToken: Ct);

        var counter = new TokenizerTokenCounter(Tokenizer.Load(model));
        var chunks = new List<RagTune.Knowledge.Documents.Chunk>();
        await foreach (var chunk in kb.Store.ReadChunksAsync(Ct)) chunks.Add(chunk);
        Assert.All(chunks, c => Assert.Equal(counter.Count(c.Text), c.TokenCount));
        Assert.All(chunks, c => Assert.True(c.TokenCount <= options.Chunking.Levels[c.Level], $"{c.Id}: {c.TokenCount} tokens"));
        // With the estimate the same text would need about four times as many fine chunks.
        int estimated = new HierarchicalChunker().Chunk(new RagTune.Knowledge.Documents.Document
        {
            Id = "long.txt", SourcePath = "long.txt", RelativePath = "long.txt", Title = "long", Text = text, ContentHash = "",
        }, options.Chunking).Count(c => c.Level == 1);
        Assert.True(estimated > 2 * chunks.Count(c => c.Level == 1), $"{estimated} estimated vs {chunks.Count(c => c.Level == 1)} by the tokenizer");
    }

    [Fact]
    public async Task TheHnswIndexIsBuiltPersistedAndReloaded()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var dir = new TempFolder();
        var options = StoreTestKit.Options() with { VectorIndex = new VectorIndexSettings { Kind = VectorIndexKind.Hnsw } };
        var embedder = new CountingEmbedder();
        IReadOnlyList<KnowledgeSearchResult> before;
        await using (var kb = await KnowledgeBase.CreateAsync(dir.Path, options, new KnowledgeBaseOpenOptions { EmbeddingGenerator = embedder }, Ct))
        {
            await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
            before = await kb.SearchAsync("tea harvest", new KnowledgeSearchOptions { K = 5, Routes = ["dense"] }, Ct);
        }
        var generation = Directory.GetDirectories(dir.Path, "gen-*").Single();
        Assert.IsType<HnswIndex>(IVectorIndex.Load(Path.Combine(generation, "vectors.bin")));
        await using var reopened = await StoreTestKit.OpenAsync(dir.Path, embedder);
        var after = await reopened.SearchAsync("tea harvest", new KnowledgeSearchOptions { K = 5, Routes = ["dense"] }, Ct);
        Assert.Equal(before.Select(h => (h.ChunkId, h.Score)), after.Select(h => (h.ChunkId, h.Score)));
        Assert.Equal("tea.md", after[0].DocumentId);

        // Re-indexing most of the corpus leaves tombstones for every replaced vector; the commit compacts them away.
        foreach (var name in new[] { "tea.md", "vectors.md", "bread.txt" })
            File.AppendAllText(Path.Combine(corpus.Path, name), "\nOne more line.\n");
        Assert.Equal(3, (await reopened.AddFolderAsync(corpus.Path, cancellationToken: Ct)).Updated.Count);
        var index = Assert.IsType<HnswIndex>(IVectorIndex.Load(Path.Combine(Directory.GetDirectories(dir.Path, "gen-*").Single(), "vectors.bin")));
        Assert.Equal(0, index.TombstoneCount);
        Assert.Equal((await reopened.GetStatsAsync(Ct)).ChunksPerLevel[1], index.Count);
    }

    [Fact]
    public async Task TheRerankerRunsOnlyWhenAsked()
    {
        using var corpus = new TempFolder();
        StoreTestKit.WriteCorpus(corpus);
        using var dir = new TempFolder();
        var reranker = new ReversingReranker();
        await using var kb = await KnowledgeBase.CreateAsync(dir.Path, StoreTestKit.Options(embed: false), new KnowledgeBaseOpenOptions { Reranker = reranker }, Ct);
        await kb.AddFolderAsync(corpus.Path, cancellationToken: Ct);
        var plain = await kb.SearchAsync("the", new KnowledgeSearchOptions { K = 3 }, Ct);
        Assert.Equal(0, reranker.Calls);
        var reranked = await kb.SearchAsync("the", new KnowledgeSearchOptions { K = 3, Rerank = true }, Ct);
        Assert.Equal(1, reranker.Calls);
        // The reranker saw the fused head (rerank depth 20) with texts and reversed it: the last candidates come first.
        Assert.All(reranker.Seen, h => Assert.False(string.IsNullOrEmpty(h.Text)));
        Assert.Equal(reranker.Seen.AsEnumerable().Reverse().Take(3).Select(h => h.Id), reranked.Select(r => r.ChunkId));
        Assert.NotEqual(plain.Select(r => r.ChunkId), reranked.Select(r => r.ChunkId));
    }

    private sealed class ReversingReranker : IReranker
    {
        public int Calls;
        public IReadOnlyList<SearchHit> Seen = [];

        public Task<IReadOnlyList<SearchHit>> RerankAsync(string query, IReadOnlyList<SearchHit> hits, CancellationToken cancellationToken)
        {
            Calls++;
            Seen = hits;
            return Task.FromResult<IReadOnlyList<SearchHit>>(hits.Reverse().ToList());
        }
    }
}
