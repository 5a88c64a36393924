// RAG over a real knowledge base built from TestData/docs: the RAFT prompt reaches the generator, citations come back in
// the content ("Sources") and as the structured `citations` field, streamed too; quotes map to spans; routing.
using RagTune.Knowledge.Rag;
using System.ClientModel;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;

namespace RagTune.Server.Tests;

public sealed class RagTests(SharedServer shared)
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static async Task<JsonElement> PostAsync(TestServer server, object body)
    {
        using var http = server.Http();
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement;
    }

    [Fact]
    public async Task Rag_model_answers_with_passages_citations_and_a_sources_footer()
    {
        var client = new ChatClient("rag:docs", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = shared.Server.ApiBase });
        var result = await client.CompleteChatAsync([OpenAI.Chat.ChatMessage.CreateUserMessage("How many days do I have to return an unopened product for a refund?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 8 }, Ct);
        string content = result.Value.Content[0].Text;
        Assert.Contains("\n\nSources:\n[1] Returns policy (returns.md)", content);

        var json = JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement;
        var passages = json.GetProperty("passages");
        Assert.Equal("returns.md", passages[0].GetProperty("source").GetString());
        Assert.Contains("unopened product within 30 days", passages[0].GetProperty("text").GetString());
        var citations = json.GetProperty("citations");
        Assert.True(citations.GetArrayLength() >= 1);
        var first = citations[0];
        Assert.Equal("returns.md", first.GetProperty("document").GetString());
        Assert.Equal(passages[0].GetProperty("chunk_id").GetString(), first.GetProperty("chunk_id").GetString());
        // The tiny model quotes nothing, so the citations are the top passages.
        Assert.Equal("retrieved", first.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Streamed_rag_answer_sends_passages_first_and_citations_with_the_finish_chunk()
    {
        using var http = shared.Server.Http();
        var body = new { model = "rag:docs", stream = true, max_tokens = 6, messages = new[] { new { role = "user", content = "电子产品的保修期是多久？" } } };
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), Ct);
        string sse = await response.Content.ReadAsStringAsync(Ct);
        var chunks = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Where(e => e != "data: [DONE]").Select(e => JsonDocument.Parse(e[6..]).RootElement).ToList();
        Assert.Equal("warranty-zh.md", chunks[0].GetProperty("passages")[0].GetProperty("source").GetString());
        var finish = chunks.Single(c => c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        Assert.Equal("warranty-zh.md", finish.GetProperty("citations")[0].GetProperty("document").GetString());
        Assert.True(chunks.IndexOf(finish) == chunks.Count - 1);
        string text = string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta").TryGetProperty("content", out var t) ? t.GetString() : ""));
        Assert.Contains("Sources:\n[1] 保修政策 (warranty-zh.md)", text);
    }

    [Fact]
    public async Task Generator_gets_the_raft_instruction_and_quotes_become_spans()
    {
        string kb = await TestServer.BuildKnowledgeBaseAsync();
        var generator = new ScriptedChatClient(_ => "Per the policy ##begin_quote##return any unopened product within 30   days##end_quote## . <ANSWER>: 30 days");
        var services = new ServerServices();
        services.ChatClients["tiny"] = generator;
        var options = TestServer.DefaultOptions(kb);
        await using var server = await TestServer.StartAsync(options, services, kb);

        var json = await PostAsync(server, new { model = "rag:docs", messages = new[] { new { role = "user", content = "How long to return an unopened product?" } } });
        var prompt = generator.Prompts.Single();
        var passages = json.GetProperty("passages").EnumerateArray().Select(p => p.GetProperty("text").GetString()!).ToList();
        Assert.Equal(3, passages.Count);
        Assert.Equal(string.Concat(passages.Select(p => "<DOCUMENT>" + p + "</DOCUMENT>\n")) + "How long to return an unopened product?", prompt[^1].Text);

        var citation = json.GetProperty("citations").EnumerateArray().Single();
        Assert.Equal("quote", citation.GetProperty("kind").GetString());
        string chunk = passages[citation.GetProperty("index").GetInt32() - 1];
        string quoted = chunk[citation.GetProperty("start").GetInt32()..citation.GetProperty("end").GetInt32()];
        Assert.Equal("return any unopened product within 30 days", quoted);
        Assert.Equal(quoted, citation.GetProperty("quote").GetString());
        Assert.EndsWith("Sources:\n[1] Returns policy (returns.md) — \"return any unopened product within 30 days\"",
            json.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Knowledge_base_with_an_embedding_model_searches_hybrid()
    {
        string kb = await TestServer.BuildKnowledgeBaseAsync(dense: true);
        var options = TestServer.DefaultOptions(kb);
        options.KnowledgeBases[0].EmbeddingModel = "embed";
        var services = new ServerServices();
        services.ChatClients["tiny"] = new ScriptedChatClient(_ => "30 days");
        await using var server = await TestServer.StartAsync(options, services, kb);
        using var http = server.Http();
        var search = JsonDocument.Parse(await http.GetStringAsync("/api/kb/docs/search?k=3&q=" + Uri.EscapeDataString("return an unopened product"), Ct)).RootElement;
        var routes = search.GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("route").GetString()!).ToList();
        Assert.Contains(routes, r => r.Contains("dense", StringComparison.Ordinal));
        Assert.Equal("returns.md", search.GetProperty("hits")[0].GetProperty("passage").GetProperty("source").GetString());
        var json = await PostAsync(server, new { model = "rag:docs", messages = new[] { new { role = "user", content = "return an unopened product" } } });
        Assert.Equal("returns.md", json.GetProperty("citations")[0].GetProperty("document").GetString());
    }

    [Fact]
    public async Task Router_sends_arithmetic_to_the_plain_model_and_domain_questions_to_rag()
    {
        var math = await PostAsync(shared.Server, new { model = "assistant", max_tokens = 4, messages = new[] { new { role = "user", content = "What is 12 * 7?" } } });
        Assert.Equal("tiny", math.GetProperty("route").GetString());
        Assert.False(math.TryGetProperty("citations", out _));

        var domain = await PostAsync(shared.Server, new { model = "assistant", max_tokens = 4, messages = new[] { new { role = "user", content = "Is shipping free for big orders?" } } });
        Assert.Equal("rag:docs", domain.GetProperty("route").GetString());
        Assert.Equal("shipping.md", domain.GetProperty("citations")[0].GetProperty("document").GetString());
    }

    [Fact]
    public async Task Classifier_router_follows_the_classifiers_label()
    {
        var classifier = new ScriptedChatClient(m => m[^1].Text.Contains("refund", StringComparison.Ordinal) ? "docs" : "Math, clearly.");
        var entry = new RouterEntry { Name = "llm-router", Default = "tiny", Classifier = new ClassifierEntry { Model = "classifier", Labels = { ["math"] = "tiny", ["docs"] = "rag:docs" } } };
        var router = ConfiguredRouter.Create(entry, classifier);
        Assert.Equal("rag:docs", await router.RouteAsync("when is my refund paid?", [], Ct));
        Assert.Equal("tiny", await router.RouteAsync("2+2", [], Ct));
        Assert.Contains("math, docs", classifier.Prompts[0][0].Text);

        string kb = await TestServer.BuildKnowledgeBaseAsync();
        var options = TestServer.DefaultOptions(kb);
        options.Routers = [entry];
        options.Models.Add(new ModelEntry { Name = "classifier", Kind = "chat" });
        var services = new ServerServices();
        services.ChatClients["classifier"] = classifier;
        await using var server = await TestServer.StartAsync(options, services, kb);
        var json = await PostAsync(server, new { model = "llm-router", max_tokens = 4, messages = new[] { new { role = "user", content = "When is my refund paid?" } } });
        Assert.Equal("rag:docs", json.GetProperty("route").GetString());
    }

    [Fact]
    public async Task Router_streams_the_route_and_the_chosen_rag_models_passages_in_the_first_chunk()
    {
        using var http = shared.Server.Http();
        var body = new { model = "assistant", stream = true, max_tokens = 4, messages = new[] { new { role = "user", content = "Is shipping free for big orders?" } } };
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, text);
        var chunks = text.Split("\n\n").Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement).ToList();
        Assert.Equal("rag:docs", chunks[0].GetProperty("route").GetString());
        Assert.Equal("shipping.md", chunks[0].GetProperty("passages")[0].GetProperty("source").GetString());
        Assert.Equal("shipping.md", chunks.Single(c => c.TryGetProperty("citations", out _)).GetProperty("citations")[0].GetProperty("document").GetString());
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_router_with_a_classifier_and_rules_asks_the_classifier_first_then_the_rules_then_takes_the_default()
    {
        var classifier = new ScriptedChatClient(m => m[^1].Text.Contains("refund", StringComparison.Ordinal) ? "docs" : "no idea");
        var router = ConfiguredRouter.Create(new RouterEntry
        {
            Name = "assistant",
            Default = "tiny",
            Rules = [new RouteRule { Keywords = ["refund", "shipping"], Target = "calc" }],
            Classifier = new ClassifierEntry { Model = "classifier", Labels = { ["docs"] = "rag:docs" } },
        }, classifier);
        Assert.Equal("rag:docs", await router.RouteAsync("refund?", [], Ct)); // a rule matches too, but the classifier decided
        Assert.Equal("calc", await router.RouteAsync("shipping?", [], Ct));   // the classifier names no label: the rules decide
        Assert.Null(await router.RouteAsync("hello", [], Ct));                // neither decides: the router's default answers
    }

    [Fact]
    public void Rule_router_matches_regex_then_keywords_then_default()
    {
        var router = ConfiguredRouter.Rules("assistant",
        [
            new RouteRule { Pattern = @"\d+\s*[-+*/]\s*\d+", Target = "calc" },
            new RouteRule { Keywords = ["退货", "refund"], Target = "rag:docs" },
        ]);
        Assert.Equal("calc", router.Route("what is 3 + 4"));
        Assert.Equal("rag:docs", router.Route("怎么退货？"));
        Assert.Equal("rag:docs", router.Route("REFUND please"));
        Assert.Null(router.Route("hello")); // no rule decides: the router's default answers
        Assert.Throws<ServerException>(() => ConfiguredRouter.Rules("assistant", [new RouteRule { Pattern = "(", Target = "x" }]));
        Assert.Throws<ServerException>(() => ConfiguredRouter.Rules("assistant", [new RouteRule { Target = "x" }]));
    }

    [Fact]
    public void Quotes_are_found_exactly_or_ignoring_whitespace_else_top_passages_are_cited()
    {
        RetrievedPassage P(int i, string text) => new() { Index = i, ChunkId = "c" + i, DocumentId = "d" + i, Source = $"doc{i}.md", Text = text };
        var passages = new[] { P(1, "alpha beta"), P(2, "所有电子产品\n享有两年保修。"), P(3, "gamma") };
        var c = CitationExtractor.Extract("x ##begin_quote##所有电子产品 享有两年保修##end_quote## y ##begin_quote##nowhere##end_quote##", passages, 2, RagPromptFormat.Default);
        var only = Assert.Single(c);
        Assert.Equal((2, 0, 13), (only.Index, only.Start, only.End));
        Assert.Equal("所有电子产品\n享有两年保修", only.Quote);
        var fallback = CitationExtractor.Extract("no quotes", passages, 2, RagPromptFormat.Default);
        Assert.Equal(["c1", "c2"], fallback.Select(f => f.ChunkId));
        Assert.All(fallback, f => Assert.Equal("retrieved", f.Kind));
        Assert.Equal("\n\nSources:\n[1] doc1.md\n[2] doc2.md", CitationExtractor.Footer("Sources", fallback));
    }
}
