// OpenAICompatibleChatClient (Microsoft.Extensions.AI.OpenAI over the SDK + CompatibleReplyChatClient) against a scripted
// handler and the scripted HTTP server: the /chat/completions request it sends, the response, reasoning and usage it reads,
// streamed or not, its errors, and malformed replies turned into MalformedReplyException.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using RagTune.Raft.Clients;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests.Clients;

public sealed class OpenAICompatibleChatClientTests
{
    private sealed class Handler(string body, HttpStatusCode status = HttpStatusCode.OK, string mediaType = "application/json") : HttpMessageHandler
    {
        public readonly List<(Uri Uri, string Body, string? Auth)> Requests = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.RequestUri!, await request.Content!.ReadAsStringAsync(cancellationToken), request.Headers.Authorization?.ToString()));
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, mediaType) };
        }
    }

    private static OpenAIClientOptions Over(Handler h) => new()
    {
        Transport = new HttpClientPipelineTransport(new HttpClient(h)),
        RetryPolicy = new ClientRetryPolicy(0),
    };

    private static readonly ChatMessage[] Question = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "<DOCUMENT>d</DOCUMENT>\nWhere?")];

    [Fact]
    public async Task Sends_messages_and_options_and_reads_the_completion()
    {
        var handler = new Handler("""
            {"id": "c1", "object": "chat.completion", "created": 1, "model": "qwen2.5:7b",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "巴黎 <ANSWER>: Paris"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}
            """);
        var client = OpenAICompatibleChatClient.Create("qwen2.5:7b", new Uri("http://localhost:11434/v1"), "k-123", Over(handler));
        var response = await client.GetResponseAsync(Question, new ChatOptions { Temperature = 0, MaxOutputTokens = 64, Seed = 7 },
            TestContext.Current.CancellationToken);

        Assert.Equal("巴黎 <ANSWER>: Paris", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal((12L, 5L, 17L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount, response.Usage.TotalTokenCount));
        Assert.Equal("c1", response.ResponseId);
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>());
        var (uri, body, auth) = Assert.Single(handler.Requests);
        Assert.Equal("http://localhost:11434/v1/chat/completions", uri.ToString());
        Assert.Equal("Bearer k-123", auth);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal("qwen2.5:7b", root.GetProperty("model").GetString());
        Assert.Equal(0, root.GetProperty("temperature").GetDouble());
        Assert.Equal(64, root.GetProperty("max_completion_tokens").GetInt32());
        Assert.Equal(7, root.GetProperty("seed").GetInt64());
        var messages = root.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["system", "user"], messages.Select(m => m.GetProperty("role").GetString()));
        Assert.Contains("<DOCUMENT>d</DOCUMENT>", messages[1].GetProperty("content").ToString());
    }

    [Theory]
    [InlineData("reasoning_content")]
    [InlineData("reasoning")]
    public async Task A_separate_reasoning_field_becomes_reasoning_content_not_text(string field)
    {
        var handler = new Handler($$"""
            {"id": "c2", "object": "chat.completion", "created": 1, "model": "r1",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "<ANSWER>: 7", "{{field}}": "3 + 4 = 7"}, "finish_reason": "stop"}]}
            """);
        var response = await OpenAICompatibleChatClient.Create("r1", new Uri("http://localhost:8000/v1"), "k", Over(handler))
            .GetResponseAsync(Question, cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal("<ANSWER>: 7", response.Text);
        Assert.Equal("3 + 4 = 7", Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>()).Text);
    }

    [Fact]
    public async Task Streams_text_and_the_final_usage_over_real_http()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await ScriptedOpenAIServer.StartAsync(_ => ScriptedReply.Text("The pump runs at 107 rpm.", 40, 9));
        var client = OpenAICompatibleChatClient.Create("teacher-x", server.BaseUrl, "k");
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync(Question, cancellationToken: ct))
            updates.Add(u);
        Assert.True(updates.Count(u => u.Text.Length > 0) > 1, "expected the reply in several chunks");
        var response = updates.ToChatResponse();
        Assert.Equal("The pump runs at 107 rpm.", response.Text);
        Assert.Equal((40L, 9L), (response.Usage!.InputTokenCount, response.Usage.OutputTokenCount));
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        var request = Assert.Single(server.Requests);
        Assert.True(request.Stream && request.IncludeUsage);
    }

    [Fact]
    public async Task Http_errors_keep_their_status_and_an_empty_model_is_refused()
    {
        var handler = new Handler("""{"error": {"message": "model not found"}}""", HttpStatusCode.NotFound);
        var client = OpenAICompatibleChatClient.Create("nope", new Uri("http://localhost:1/v1"), "k", Over(handler));
        var e = await Assert.ThrowsAsync<ClientResultException>(() => client.GetResponseAsync(Question, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Equal(404, e.Status);
        Assert.Contains("model not found", e.Message);
        Assert.Contains("model name is empty", Assert.Throws<RaftException>(() => OpenAICompatibleChatClient.Create(" ")).Message);
    }

    [Fact]
    public void Metadata_names_the_endpoint_and_model()
    {
        using var client = OpenAICompatibleChatClient.Create("qwen2.5:7b", new Uri("http://localhost:11434/v1"), "k");
        var meta = client.GetService<ChatClientMetadata>()!;
        Assert.Equal(("openai", "qwen2.5:7b"), (meta.ProviderName, meta.DefaultModelId));
        Assert.Equal(new Uri("http://localhost:11434/v1"), meta.ProviderUri);
        Assert.Same(client, client.GetService<IChatClient>());
        Assert.NotNull(client.GetService<OpenAI.Chat.ChatClient>());
    }

    // Issue 16 items 2 and 4: a 200 that is not a chat completion is a malformed reply (retried), never an empty answer.
    [Theory]
    [InlineData("garbage, not JSON", false)]
    [InlineData("""{"id": "x", "choices": []}""", false)]
    [InlineData("""{"id": "x", "choices": [{"index": 0, "message": {"role": "assistant", "content": "cut""", false)]
    [InlineData("garbage, not an event stream", true)]
    [InlineData("""{"error": {"message": "overloaded"}}""", true)]
    public async Task A_reply_that_is_not_a_chat_completion_is_malformed(string body, bool stream)
    {
        var ct = TestContext.Current.CancellationToken;
        var handler = new Handler(body, mediaType: stream ? "text/event-stream" : "application/json");
        var client = OpenAICompatibleChatClient.Create("m", new Uri("http://localhost:8000/v1"), "k", Over(handler));
        var e = await Assert.ThrowsAsync<MalformedReplyException>(() => stream
            ? client.GetStreamingResponseAsync(Question, cancellationToken: ct).ToChatResponseAsync(ct)
            : client.GetResponseAsync(Question, cancellationToken: ct));
        Assert.Contains("expected", e.Message);
    }

    [Fact]
    public async Task Ollamas_streamed_reasoning_field_becomes_reasoning_content()
    {
        var ct = TestContext.Current.CancellationToken;
        var handler = new Handler(
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning\":\"3 + 4\"}}]}\n\n" +
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"<ANSWER>: 7\"},\"finish_reason\":\"stop\"}]}\n\n" +
            "data: [DONE]\n\n", mediaType: "text/event-stream");
        var client = OpenAICompatibleChatClient.Create("m", new Uri("http://localhost:8000/v1"), "k", Over(handler));
        var response = await client.GetStreamingResponseAsync(Question, cancellationToken: ct).ToChatResponseAsync(ct);
        Assert.Equal("<ANSWER>: 7", response.Text);
        Assert.Equal("3 + 4", string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text)));
    }
}
