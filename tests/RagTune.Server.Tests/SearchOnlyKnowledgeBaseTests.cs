// A knowledge base without a generator is served for search only: the search API works, it is no rag: model, and a chat
// request naming it gets one clear 503 instead of the server refusing to start.
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using RagTune.Server.Configuration;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class SearchOnlyKnowledgeBaseTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_knowledge_base_without_a_generator_is_searchable_but_not_a_chat_model()
    {
        string kb = await TestServer.BuildKnowledgeBaseAsync();
        var options = new ServerOptions
        {
            Models = [new ModelEntry { Name = "tiny", Path = TestServer.ChatModelPath, Kind = "chat", DefaultMaxTokens = 8 }],
            KnowledgeBases = [new KnowledgeBaseEntry { Name = "docs", Path = kb }],
        };
        await using var server = await TestServer.StartAsync(options, kbDirectory: kb);
        using var http = server.Http();

        using (var hits = JsonDocument.Parse(await http.GetStringAsync("/api/kb/docs/search?q=" + Uri.EscapeDataString("保修") + "&k=1", Ct)))
            Assert.Equal("warranty-zh.md", hits.RootElement.GetProperty("hits")[0].GetProperty("passage").GetProperty("source").GetString());
        using (var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models", Ct)))
            Assert.Equal(["tiny"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));

        using var reply = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "rag:docs",
            messages = new[] { new { role = "user", content = "保修多久？" } },
        }, Ct);
        string body = await reply.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, reply.StatusCode);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.Equal("knowledge base 'docs' is served for search only (GET /api/kb/docs/search): no chat model is configured as its generator; "
            + "set knowledge_bases[].generator to a served chat model to chat with it", error.GetProperty("message").GetString());
        Assert.Equal("no_chat_model", error.GetProperty("code").GetString());
    }
}
