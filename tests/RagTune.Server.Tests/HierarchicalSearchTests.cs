// Document-first retrieval on the server: `hierarchical: true` on a served knowledge base restricts the prompt's passages
// to the chunks of the best documents, the search API takes hierarchical=true&docs=N, and a knowledge base built without
// a document route is refused by name (at start for the config, 400 for a request).
using System.Net;
using System.Text;
using System.Text.Json;
using RagTune.Knowledge.Store;
using RagTune.Server.Configuration;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class HierarchicalSearchTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;
    // Both returns.md and shipping.md speak of business days: flat search mixes them.
    private const string Question = "How many business days until a refund for a return is issued?";

    private static ServerOptions Options(string kb, params KnowledgeBaseEntry[] entries) => new()
    {
        Models = [new ModelEntry { Name = "tiny", Path = TestServer.ChatModelPath, Kind = "chat", DefaultMaxTokens = 4 }],
        KnowledgeBases = [.. entries.Select(e => { e.Path = kb; e.Generator = "tiny"; e.TopK = 4; return e; })],
    };

    private static async Task<List<string>> PassageSourcesAsync(TestServer server, string model)
    {
        using var http = server.Http();
        var body = new { model, max_tokens = 4, messages = new[] { new { role = "user", content = Question } } };
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("passages").EnumerateArray().Select(p => p.GetProperty("source").GetString()!).ToList();
    }

    private static async Task<List<string>> SearchSourcesAsync(HttpClient http, string query)
    {
        using var hits = JsonDocument.Parse(await http.GetStringAsync("/api/kb/" + query, Ct));
        return hits.RootElement.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("passage").GetProperty("source").GetString()!).ToList();
    }

    [Fact]
    public async Task Hierarchical_retrieval_keeps_the_passages_inside_the_best_documents()
    {
        string kb = await TestServer.BuildKnowledgeBaseAsync(documentRoute: new DocumentRouteSettings { Kind = DocumentRouteKind.FirstChunk });
        // The server deletes the knowledge base folder when it is disposed.
        {
            await using var server = await TestServer.StartAsync(Options(kb,
                new KnowledgeBaseEntry { Name = "flat" }, new KnowledgeBaseEntry { Name = "docfirst", Hierarchical = true, HierarchicalDocuments = 1 }), kbDirectory: kb);
            Assert.True((await PassageSourcesAsync(server, "rag:flat")).Distinct().Count() > 1);
            var first = await PassageSourcesAsync(server, "rag:docfirst");
            Assert.NotEmpty(first);
            Assert.Single(first.Distinct());

            using var http = server.Http();
            string q = Uri.EscapeDataString(Question);
            Assert.True((await SearchSourcesAsync(http, $"flat/search?k=6&q={q}")).Distinct().Count() > 1);
            var scoped = await SearchSourcesAsync(http, $"flat/search?k=6&hierarchical=true&docs=1&q={q}");
            Assert.Equal(first.Distinct(), scoped.Distinct());

            foreach (var (bad, field) in new[] { ("hierarchical=maybe", "hierarchical"), ("docs=3", "docs"), ("hierarchical=true&docs=0", "docs") })
            {
                var response = await http.GetAsync($"/api/kb/flat/search?{bad}&q=refund", Ct);
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Equal(field, JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error").GetProperty("param").GetString());
            }
        }
    }

    [Fact]
    public async Task A_knowledge_base_without_a_document_route_is_refused_by_name()
    {
        string kb = await TestServer.BuildKnowledgeBaseAsync();
        var e = await Assert.ThrowsAsync<ServerException>(() => TestServer.StartAsync(Options(kb, new KnowledgeBaseEntry { Name = "docs", Hierarchical = true })));
        Assert.Contains(Path.Combine(kb, "kb.json"), e.Message);
        Assert.Contains("'document_route'", e.Message);
        // The server deletes the knowledge base folder when it is disposed.
        {
            await using var server = await TestServer.StartAsync(Options(kb, new KnowledgeBaseEntry { Name = "docs" }), kbDirectory: kb);
            using var http = server.Http();
            var response = await http.GetAsync("/api/kb/docs/search?hierarchical=true&q=refund", Ct);
            string body = await response.Content.ReadAsStringAsync(Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("'document_route'", body);
        }
    }
}
