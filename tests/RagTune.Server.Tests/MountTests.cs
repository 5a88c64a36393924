// The server mounted in someone else's app: a minimal WebApplication adds it with services.AddRagTuneServer(...) and
// app.MapRagTune() beside an endpoint of its own; RagTune's API, RAG and UI work, its API keys guard only its endpoints,
// and the app's own endpoint and 404s stay the app's.
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Knowledge.Rag;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class MountTests
{
    [Fact]
    public async Task A_minimal_app_mounts_the_server_beside_its_own_endpoint()
    {
        var ct = TestContext.Current.CancellationToken;
        var generator = new ScriptedChatClient(_ => "It says ##begin_quote##Pumps live in hall 3.##end_quote## <ANSWER>: hall 3");
        var live = new ServerServices();
        live.ChatClients["tiny"] = generator;
        live.Retrievers["docs"] = new OnePassage();
        var options = new ServerOptions
        {
            Models = [new ModelEntry { Name = "tiny", Kind = "chat" }],
            KnowledgeBases = [new KnowledgeBaseEntry { Name = "docs", Generator = "tiny", SourcesFooter = false }],
            ApiKeys = ["secret"],
        };

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddRagTuneServer(options, live);
        await using var app = builder.Build();
        app.MapGet("/hello", () => "hello from the host");
        app.MapRagTune();
        await app.StartAsync(ct);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // The host's endpoint: no RagTune key needed, its own response.
        Assert.Equal("hello from the host", await http.GetStringAsync("/hello", ct));
        // The host's 404 is the host's (empty), not RagTune's OpenAI-shaped error.
        using (var missing = await http.GetAsync("/nowhere", ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            Assert.Equal("", await missing.Content.ReadAsStringAsync(ct));
        }
        // RagTune's endpoints demand its key and answer errors in OpenAI's shape.
        using (var refused = await http.GetAsync("/v1/models", ct))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            using var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct));
            Assert.Equal("invalid_api_key", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        }
        http.DefaultRequestHeaders.Authorization = new("Bearer", "secret");
        using (var models = JsonDocument.Parse(await http.GetStringAsync("/v1/models", ct)))
            Assert.Equal(["tiny", "rag:docs"], models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        using var reply = await http.PostAsJsonAsync("/v1/chat/completions",
            new { model = "rag:docs", messages = new[] { new { role = "user", content = "Where do pumps live?" } } }, ct);
        string body = await reply.Content.ReadAsStringAsync(ct);
        Assert.True(reply.IsSuccessStatusCode, body);
        using (var json = JsonDocument.Parse(body))
        {
            var citation = json.RootElement.GetProperty("citations").EnumerateArray().Single();
            Assert.Equal(("quote", "c1"), (citation.GetProperty("kind").GetString(), citation.GetProperty("chunk_id").GetString()));
        }
        Assert.Equal("<DOCUMENT>Pumps live in hall 3.</DOCUMENT>\nWhere do pumps live?", generator.Prompts.Single()[^1].Text);
        using (var unknown = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "nope", messages = new[] { new { role = "user", content = "q" } } }, ct))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            using var error = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync(ct));
            Assert.Equal("model", error.RootElement.GetProperty("error").GetProperty("param").GetString());
        }
        // The web UI is mounted too.
        using (var ui = await http.GetAsync("/", ct))
        {
            Assert.Equal(HttpStatusCode.OK, ui.StatusCode);
            Assert.StartsWith("text/html", ui.Content.Headers.ContentType!.ToString());
        }
        await app.StopAsync(ct);
    }

    [Fact]
    public void Mounting_without_registering_fails_with_one_clear_error()
    {
        var app = WebApplication.CreateSlimBuilder().Build();
        var e = Assert.Throws<ServerException>(() => app.MapRagTune());
        Assert.Contains("AddRagTuneServer", e.Message);
    }

    private sealed class OnePassage : IRagRetriever
    {
        public Task<IReadOnlyList<RetrievedPassage>> RetrieveAsync(string query, int k, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<RetrievedPassage>>([new RetrievedPassage { Index = 1, ChunkId = "c1", DocumentId = "d1", Source = "pumps.md", Text = "Pumps live in hall 3." }]);
    }
}
