// The reranker recorded in kb.json (issues 13/14): KnowledgeBase.OpenAsync wires it, searches that ask for reranking
// order the fused head by the local model's probabilities, and a base without one says so instead of ignoring the ask.
using System.Text.Json.Nodes;
using RagTune.Engine.Models;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Tests.Loading;
using Xunit;

namespace RagTune.Knowledge.Tests.Store;

public sealed class KnowledgeBaseRerankerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Model(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "models", name);

    private static async Task<string> CreateAsync(TempFolder dir, RerankerSettings? reranker)
    {
        StoreTestKit.WriteCorpus(Path.Combine(dir.Path, "docs"));
        string kbDir = Path.Combine(dir.Path, "kb");
        await using var kb = await KnowledgeBase.CreateAsync(kbDir, StoreTestKit.Options(embed: false) with { Reranker = reranker }, cancellationToken: Ct);
        await kb.AddFolderAsync(Path.Combine(dir.Path, "docs"), cancellationToken: Ct);
        return kbDir;
    }

    [Theory]
    [InlineData("bert-tiny-reranker", null)]
    [InlineData("xlmr-unigram-reranker", null)] // XLM-R with a SentencePiece Unigram tokenizer, as bge-reranker
    [InlineData("qwen3-tiny-reranker", "Find the passage about the topic")]
    public async Task OpenAsync_wires_the_recorded_reranker_and_orders_by_its_scores(string name, string? instruction)
    {
        using var dir = new TempFolder();
        string kbDir = await CreateAsync(dir, new RerankerSettings { ModelDirectory = Model(name), Instruction = instruction, Depth = 8 });
        await using var kb = await KnowledgeBase.OpenAsync(kbDir, cancellationToken: Ct);
        Assert.True(kb.HasReranker);
        Assert.Equal(Model(name), kb.Options.Reranker!.ModelDirectory);

        const string query = "the starter";
        var plain = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 8 }, Ct);
        var reranked = await kb.SearchAsync(query, new KnowledgeSearchOptions { K = 8, Rerank = true }, Ct);
        Assert.Equal(plain.Select(r => r.ChunkId).Order(), reranked.Select(r => r.ChunkId).Order());

        // The scores are the model's own probabilities for (query, chunk text), best first.
        using var model = RerankerModels.Load(Model(name), instruction);
        var expected = plain.Select(r => (r.ChunkId, Score: (double)model.Score(query, r.Text)))
            .OrderByDescending(x => x.Score).ToList();
        Assert.Equal(expected.Select(x => x.ChunkId), reranked.Select(r => r.ChunkId));
        Assert.Equal(expected.Select(x => x.Score), reranked.Select(r => r.Score));
        Assert.NotEqual(plain.Select(r => r.ChunkId), reranked.Select(r => r.ChunkId));
    }

    [Fact]
    public async Task The_reranker_given_when_opening_overrides_the_recorded_one()
    {
        using var dir = new TempFolder();
        string kbDir = await CreateAsync(dir, new RerankerSettings { ModelDirectory = Path.Combine(dir.Path, "no-such-model") });
        using var local = LocalReranker.Load(Model("bert-tiny-reranker"));
        await using var kb = await KnowledgeBase.OpenAsync(kbDir, new KnowledgeBaseOpenOptions { Reranker = local }, Ct);
        var reranked = await kb.SearchAsync("the starter", new KnowledgeSearchOptions { K = 3, Rerank = true }, Ct);
        Assert.Equal(3, reranked.Count);
        Assert.All(reranked, r => Assert.InRange(r.Score, 0, 1));
    }

    [Fact]
    public async Task A_knowledge_base_from_before_rerankers_opens_and_refuses_a_rerank_by_name()
    {
        using var dir = new TempFolder();
        string kbDir = await CreateAsync(dir, reranker: null);
        // kb.json as earlier versions wrote it: no "reranker" key at all.
        string options = Path.Combine(kbDir, FileSystemKnowledgeStore.OptionsFileName);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(options, Ct))!.AsObject();
        Assert.True(json.Remove("reranker"));
        await File.WriteAllTextAsync(options, json.ToJsonString(), Ct);

        await using var kb = await KnowledgeBase.OpenAsync(kbDir, cancellationToken: Ct);
        Assert.False(kb.HasReranker);
        Assert.Null(kb.Options.Reranker);
        Assert.NotEmpty(await kb.SearchAsync("tea", new KnowledgeSearchOptions { K = 3 }, Ct));
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => kb.SearchAsync("tea", new KnowledgeSearchOptions { K = 3, Rerank = true }, Ct));
        Assert.Contains("reranking was asked for but none is configured", e.Message);
        Assert.Contains("--reranker", e.Message);
    }

    [Fact]
    public async Task A_recorded_folder_that_holds_an_embedding_model_fails_naming_its_config()
    {
        using var dir = new TempFolder();
        string kbDir = await CreateAsync(dir, new RerankerSettings { ModelDirectory = Model("bert-tiny-mean") });
        await using var kb = await KnowledgeBase.OpenAsync(kbDir, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => kb.SearchAsync("tea", new KnowledgeSearchOptions { K = 3, Rerank = true }, Ct));
        Assert.Contains(Path.Combine(Model("bert-tiny-mean"), "config.json"), e.Message);
        Assert.Contains("\"architectures\" is [\"BertModel\"]", e.Message);
    }

    [Fact]
    public async Task An_empty_reranker_folder_in_kb_json_is_refused_at_open()
    {
        using var dir = new TempFolder();
        string kbDir = await CreateAsync(dir, reranker: null);
        string options = Path.Combine(kbDir, FileSystemKnowledgeStore.OptionsFileName);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(options, Ct))!.AsObject();
        json["reranker"] = new JsonObject { ["model_directory"] = "" };
        await File.WriteAllTextAsync(options, json.ToJsonString(), Ct);
        var e = await Assert.ThrowsAsync<KnowledgeException>(() => KnowledgeBase.OpenAsync(kbDir, cancellationToken: Ct));
        Assert.Contains(options, e.Message);
        Assert.Contains("reranker.model_directory is empty", e.Message);
    }
}
