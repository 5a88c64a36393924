// OpenAIChatClient against a scripted HTTP handler: the /chat/completions request it sends and the response it reads.
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using RagTune.Eval.Systems;

namespace RagTune.Eval.Tests.Running;

public sealed class OpenAIChatClientTests
{
    private sealed class Handler(string body, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        public readonly List<(Uri Uri, string Body, string? Auth)> Requests = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Requests.Add((request.RequestUri!, await request.Content!.ReadAsStringAsync(cancellationToken), request.Headers.Authorization?.ToString()));
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        }
    }

    private static OpenAIClientOptions Over(Handler h) => new()
    {
        Transport = new HttpClientPipelineTransport(new HttpClient(h)),
        RetryPolicy = new ClientRetryPolicy(0),
    };

    [Fact]
    public async Task SendsMessagesAndOptionsAndReadsTheCompletion()
    {
        var handler = new Handler("""
            {"id": "c1", "object": "chat.completion", "created": 1, "model": "qwen2.5:7b",
             "choices": [{"index": 0, "message": {"role": "assistant", "content": "巴黎 <ANSWER>: Paris"}, "finish_reason": "stop"}],
             "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17}}
            """);
        var client = new OpenAIChatClient("qwen2.5:7b", new Uri("http://localhost:11434/v1"), "k-123", Over(handler));
        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "<DOCUMENT>d</DOCUMENT>\nWhere?")],
            new ChatOptions { Temperature = 0, MaxOutputTokens = 64, Seed = 7 }, TestContext.Current.CancellationToken);

        Assert.Equal("巴黎 <ANSWER>: Paris", response.Text);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(12, response.Usage!.InputTokenCount);
        var (uri, body, auth) = Assert.Single(handler.Requests);
        Assert.Equal("http://localhost:11434/v1/chat/completions", uri.ToString());
        Assert.Equal("Bearer k-123", auth);
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        Assert.Equal("qwen2.5:7b", root.GetProperty("model").GetString());
        Assert.Equal(0, root.GetProperty("temperature").GetDouble());
        Assert.Equal(7, root.GetProperty("seed").GetInt64());
        var messages = root.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal("system", messages[0].GetProperty("role").GetString());
        Assert.Equal("user", messages[1].GetProperty("role").GetString());
        Assert.Contains("<DOCUMENT>d</DOCUMENT>", messages[1].GetProperty("content").ToString());
    }

    [Fact]
    public async Task ServerErrorsSurfaceAsExceptionsThatTheRunnerRecords()
    {
        var handler = new Handler("""{"error": {"message": "model not found"}}""", HttpStatusCode.NotFound);
        var system = new ChatClientSystem(new OpenAIChatClient("nope", new Uri("http://localhost:1/v1"), "k", Over(handler)),
            new ChatClientSystemOptions { Name = "remote" });
        var run = await new RagTune.Eval.Running.EvaluationRunner().RunAsync(EvaluationRunnerTests.Items(2), [system], TestContext.Current.CancellationToken);
        Assert.All(run.Results, r => Assert.Contains("model not found", r.Error));
        Assert.Equal(2, run.Summaries[0].Errors);
        Assert.Throws<EvalException>(() => new OpenAIChatClient(" "));
    }
}
