// `rerank: true` on a served knowledge base (issue 14: it used to be accepted and ignored): the passages that reach the
// prompt are the fused candidates reordered by the knowledge base's reranker (or a configured one), and a knowledge base
// with rerank: true and no reranker stops the start with one clear error.
using System.Net;
using System.Text;
using System.Text.Json;
using RagTune.Engine.Models;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;
using RagTune.Server.Configuration;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class RerankTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    private const string Question = "How many days do I have to return an unopened product for a refund?";

    private static ServerOptions Options(string kb, params KnowledgeBaseEntry[] entries) => new()
    {
        Models = [new ModelEntry { Name = "tiny", Path = TestServer.ChatModelPath, Kind = "chat", DefaultMaxTokens = 4 }],
        KnowledgeBases = [.. entries.Select(e => { e.Path = kb; e.Generator = "tiny"; e.TopK = 3; return e; })],
    };

    private static async Task<List<string>> PassagesAsync(TestServer server, string model)
    {
        using var http = server.Http();
        var body = new { model, max_tokens = 4, messages = new[] { new { role = "user", content = Question } } };
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("passages").EnumerateArray().Select(p => p.GetProperty("chunk_id").GetString()!).ToList();
    }

    /// <summary>What reranking must give, computed without the server: the fused head (rerank depth) scored by the model.</summary>
    private static async Task<List<string>> ExpectedAsync(string kbDir, string reranker)
    {
        await using var kb = await KnowledgeBase.OpenAsync(kbDir, cancellationToken: Ct);
        var head = await kb.SearchAsync(Question, new KnowledgeSearchOptions { K = HybridSearcher.DefaultRerankDepth }, Ct);
        using var model = BertCrossEncoder.Load(reranker);
        return head.Select(h => (h.ChunkId, Score: model.Score(Question, h.Text))).OrderByDescending(x => x.Score).Take(3).Select(x => x.ChunkId).ToList();
    }

    [Theory]
    [InlineData("bert-tiny-reranker")]
    [InlineData("xlmr-unigram-reranker")] // bge-reranker-shaped: XLM-R with a SentencePiece Unigram tokenizer
    public async Task Rerank_true_reorders_the_passages_with_the_knowledge_bases_reranker(string fixture)
    {
        string reranker = TestServer.Data("models/" + fixture);
        string kb = await TestServer.BuildKnowledgeBaseAsync(reranker: new RerankerSettings { ModelDirectory = reranker });
        var expected = await ExpectedAsync(kb, reranker);
        await using var server = await TestServer.StartAsync(Options(kb,
            new KnowledgeBaseEntry { Name = "plain" }, new KnowledgeBaseEntry { Name = "reranked", Rerank = true }), kbDirectory: kb);

        var plain = await PassagesAsync(server, "rag:plain");
        var reranked = await PassagesAsync(server, "rag:reranked");
        Assert.Equal(expected, reranked);
        Assert.NotEqual(plain, reranked);

        // The search API reranks when asked, with the same reranker.
        using var http = server.Http();
        string url = "/api/kb/reranked/search?k=3&rerank=true&q=" + Uri.EscapeDataString(Question);
        using var hits = JsonDocument.Parse(await http.GetStringAsync(url, Ct));
        Assert.Equal(expected, hits.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("passage").GetProperty("chunk_id").GetString()));
    }

    [Fact]
    public async Task A_configured_reranker_serves_a_knowledge_base_created_without_one()
    {
        string kb = await TestServer.BuildKnowledgeBaseAsync();
        var expected = await ExpectedAsync(kb, TestServer.RerankerPath);
        await using var server = await TestServer.StartAsync(Options(kb,
            new KnowledgeBaseEntry { Name = "docs", Rerank = true, Reranker = TestServer.RerankerPath }), kbDirectory: kb);
        Assert.Equal(expected, await PassagesAsync(server, "rag:docs"));

        using var http = server.Http();
        var response = await http.GetAsync("/api/kb/docs/search?rerank=maybe&q=refund", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Rerank_true_without_any_reranker_stops_the_start_with_one_clear_error()
    {
        string kb = await TestServer.BuildKnowledgeBaseAsync();
        try
        {
            var e = await Assert.ThrowsAsync<ServerException>(() => TestServer.StartAsync(Options(kb, new KnowledgeBaseEntry { Name = "docs", Rerank = true })));
            Assert.Equal("knowledge base 'docs': rerank is true but no reranker is configured; expected knowledge_bases[].reranker (a reranker model folder) or a knowledge base created with `ragtune kb create --reranker DIR`", e.Message);

            // A folder that holds an embedding model, not a reranker, is named with the field that says so.
            var wrong = await Assert.ThrowsAsync<ServerException>(() => TestServer.StartAsync(Options(kb,
                new KnowledgeBaseEntry { Name = "docs", Rerank = true, Reranker = TestServer.EmbeddingModelPath })));
            Assert.Contains(Path.Combine(TestServer.EmbeddingModelPath, "config.json"), wrong.Message);
            Assert.Contains("\"architectures\" is [\"BertModel\"]", wrong.Message);
        }
        finally { Directory.Delete(kb, true); }
    }
}
