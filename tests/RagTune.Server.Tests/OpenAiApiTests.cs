// The official OpenAI .NET SDK against the running server: chat (plain and streamed), sampling knobs, stop, usage,
// embeddings, the model list, and errors in OpenAI's shape.
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;
using RagTune.Engine.AI;
using Xunit;
using ChatMessage = OpenAI.Chat.ChatMessage;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace RagTune.Server.Tests;

#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK.
public sealed class OpenAiApiTests(SharedServer shared)
{
    private TestServer Server => shared.Server;
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private OpenAIClientOptions ClientOptions => new() { Endpoint = Server.ApiBase, NetworkTimeout = TimeSpan.FromSeconds(30) };
    private ChatClient Chat(string model) => new(model, new ApiKeyCredential("unused"), ClientOptions);

    private static readonly Lazy<LocalChatClient> Reference = new(() => LocalChatClient.Load(TestServer.ChatModelPath, new LocalChatClientOptions { ModelId = "tiny" }));

    private static string ReferenceAnswer(string question, int maxTokens, params string[] stop) =>
        Reference.Value.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, question)],
            new ChatOptions { MaxOutputTokens = maxTokens, StopSequences = stop.Length > 0 ? stop : null }).GetAwaiter().GetResult().Text;

    [Fact]
    public async Task Chat_completion_is_the_models_greedy_answer_with_usage()
    {
        var result = await Chat("tiny").CompleteChatAsync([ChatMessage.CreateUserMessage("Hello, who are you?")],
            new ChatCompletionOptions { MaxOutputTokenCount = 12 }, Ct);
        var completion = result.Value;
        Assert.Equal(ReferenceAnswer("Hello, who are you?", 12), completion.Content[0].Text);
        Assert.Equal("tiny", completion.Model);
        Assert.Equal(12, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 5);
        Assert.Equal(completion.Usage.InputTokenCount + 12, completion.Usage.TotalTokenCount);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.StartsWith("chatcmpl-", completion.Id);
    }

    [Fact]
    public async Task Streaming_gives_the_same_text_and_usage_at_the_end()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 10 };
        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        int updates = 0;
        await foreach (var u in Chat("tiny").CompleteChatStreamingAsync([ChatMessage.CreateUserMessage("Tell me a story")], options, Ct))
        {
            updates++;
            foreach (var part in u.ContentUpdate) text.Append(part.Text);
            usage ??= u.Usage;
            finish ??= u.FinishReason;
        }
        Assert.True(updates > 3, $"expected several chunks, got {updates}");
        Assert.Equal(ReferenceAnswer("Tell me a story", 10), text.ToString());
        Assert.Equal(ChatFinishReason.Length, finish);
        Assert.NotNull(usage);
        Assert.Equal(10, usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Raw_stream_has_openai_chunk_shape_and_done_marker()
    {
        using var http = Server.Http();
        var body = new { model = "tiny", messages = new[] { new { role = "user", content = "Hi" } }, stream = true, max_tokens = 4, stream_options = new { include_usage = true } };
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        string sse = await response.Content.ReadAsStringAsync(Ct);
        var events = sse.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e));
        Assert.Equal("data: [DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e[6..]).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());
        Assert.Equal("assistant", chunks[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        var last = chunks[^1];
        Assert.Equal(0, last.GetProperty("choices").GetArrayLength());
        Assert.Equal(4, last.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Stop_sequence_ends_the_answer_before_it()
    {
        string full = ReferenceAnswer("Count with me", 16);
        Assert.True(full.Length >= 8, $"reference answer too short: '{full}'");
        string stop = full.Substring(5, 3);
        var completion = (await Chat("tiny").CompleteChatAsync([ChatMessage.CreateUserMessage("Count with me")],
            new ChatCompletionOptions { MaxOutputTokenCount = 16, StopSequences = { stop } }, Ct)).Value;
        string text = completion.Content.Count > 0 ? completion.Content[0].Text : "";
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
    }

    [Fact]
    public async Task Same_seed_same_sample()
    {
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 12, Temperature = 1.5f, TopP = 0.95f, Seed = 1234 };
        ChatMessage[] messages = [ChatMessage.CreateUserMessage("Sample something")];
        string a = (await Chat("tiny").CompleteChatAsync(messages, options, Ct)).Value.Content[0].Text;
        string b = (await Chat("tiny").CompleteChatAsync(messages, options, Ct)).Value.Content[0].Text;
        Assert.Equal(a, b);
        Assert.NotEqual(ReferenceAnswer("Sample something", 12), a);
    }

    [Fact]
    public async Task Embeddings_match_the_local_encoder_in_base64_and_float()
    {
        var client = new EmbeddingClient("embed", new ApiKeyCredential("unused"), ClientOptions);
        var result = (await client.GenerateEmbeddingsAsync(["退货政策", "shipping time"], cancellationToken: Ct)).Value;
        using var local = LocalEmbeddingGenerator.Load(TestServer.EmbeddingModelPath);
        var expected = await local.GenerateAsync(["退货政策", "shipping time"], cancellationToken: Ct);
        Assert.Equal(2, result.Count);
        for (int i = 0; i < 2; i++) Assert.Equal(expected[i].Vector.ToArray(), result[i].ToFloats().ToArray());
        Assert.True(result.Usage.InputTokenCount > 4);

        using var http = Server.Http();
        var response = await http.PostAsync("/v1/embeddings", new StringContent("""{"model":"embed","input":"shipping time","encoding_format":"float"}""", Encoding.UTF8, "application/json"), Ct);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var floats = json.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        Assert.Equal(expected[1].Vector.ToArray(), floats);
        Assert.Equal("list", json.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Model_list_names_every_served_model()
    {
        var models = (await new OpenAIModelClient(new ApiKeyCredential("unused"), ClientOptions).GetModelsAsync(Ct)).Value;
        var ids = models.Select(m => m.Id).ToHashSet();
        Assert.Superset(new HashSet<string> { "tiny", "embed", "tiny-lora", "rag:docs", "assistant" }, ids);
        Assert.All(models, m => Assert.Equal("ragtune", m.OwnedBy));
    }

    [Fact]
    public async Task One_model_is_retrieved_by_id()
    {
        var model = (await new OpenAIModelClient(new ApiKeyCredential("unused"), ClientOptions).GetModelAsync("rag:docs", Ct)).Value;
        Assert.Equal("rag:docs", model.Id);
        var e = await Assert.ThrowsAsync<ClientResultException>(() => new OpenAIModelClient(new ApiKeyCredential("unused"), ClientOptions).GetModelAsync("nope", Ct));
        Assert.Equal(404, e.Status);
    }

    [Fact]
    public async Task Unknown_model_is_404_in_openai_error_shape()
    {
        var e = await Assert.ThrowsAsync<ClientResultException>(() => Chat("nope").CompleteChatAsync([ChatMessage.CreateUserMessage("hi")], null, Ct));
        Assert.Equal(404, e.Status);
        var error = JsonDocument.Parse(e.GetRawResponse()!.Content.ToString()).RootElement.GetProperty("error");
        Assert.Equal("The model 'nope' does not exist", error.GetProperty("message").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("""{"model":"tiny","messages":[]}""", "messages", null)]
    [InlineData("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":0}""", "max_tokens", null)]
    [InlineData("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"temperature":3}""", "temperature", null)]
    [InlineData("""{"model":"tiny","messages":[{"role":"tool","content":"hi"}]}""", "messages[0].role", null)]
    [InlineData("""{"model":"embed","messages":[{"role":"user","content":"hi"}]}""", "model", "wrong_model_kind")]
    [InlineData("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"n":2}""", "n", null)]
    [InlineData("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"seed":"x"}""", "seed", null)]
    [InlineData("""{"model":"tiny","messages":[{"role":"user","content":"hi"}],"stop":["a","b","c","d","e"]}""", "stop", null)]
    [InlineData("""not json""", null, null)]
    public async Task Bad_requests_are_400_naming_the_field(string body, string? param, string? code)
    {
        using var http = Server.Http();
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        if (code is not null) Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Prompt_longer_than_the_limit_is_refused()
    {
        using var http = Server.Http();
        string body = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "user", content = new string('a', 40_000) } } });
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("context_length_exceeded", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Body_larger_than_the_limit_is_413()
    {
        using var http = Server.Http();
        string body = JsonSerializer.Serialize(new { model = "tiny", messages = new[] { new { role = "user", content = new string('a', 1_200_000) } } });
        var response = await http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("\"error\"", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Cors_is_closed_by_default()
    {
        using var http = Server.Http();
        var request = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
        request.Headers.Add("Origin", "http://evil.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        var response = await http.SendAsync(request, Ct);
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
    }
}
