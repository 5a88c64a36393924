// The evaluation over a remote OpenAI-compatible system (Microsoft.Extensions.AI.OpenAI's client through
// OpenAICompatibleChatClient, against a scripted HTTP handler):
// server errors become recorded per-item errors, not a crashed run.
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using OpenAI;
using RagTune.Eval.Systems;
using RagTune.Raft.Clients;

namespace RagTune.Eval.Tests.Running;

public sealed class OpenAICompatibleSystemTests
{
    private sealed class Handler(string body, HttpStatusCode status) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }

    [Fact]
    public async Task ServerErrorsSurfaceAsExceptionsThatTheRunnerRecords()
    {
        var handler = new Handler("""{"error": {"message": "model not found"}}""", HttpStatusCode.NotFound);
        var options = new OpenAIClientOptions { Transport = new HttpClientPipelineTransport(new HttpClient(handler)), RetryPolicy = new ClientRetryPolicy(0) };
        var system = new ChatClientSystem(OpenAICompatibleChatClient.Create("nope", new Uri("http://localhost:1/v1"), "k", options),
            new ChatClientSystemOptions { Name = "remote" });
        var run = await new RagTune.Eval.Running.EvaluationRunner().RunAsync(EvaluationRunnerTests.Items(2), [system], TestContext.Current.CancellationToken);
        Assert.All(run.Results, r => Assert.Contains("model not found", r.Error));
        Assert.Equal(2, run.Summaries[0].Errors);
    }
}
