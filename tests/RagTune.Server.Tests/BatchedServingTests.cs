// Concurrent requests to one served model decode together: streaming chats to the base model and to its adapter, queued
// while the model's batcher is held and then released at once, run in shared batched steps, and each streamed answer is
// the one the engine gives that request alone.
using System.ClientModel;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using RagTune.Engine.AI;
using RagTune.Engine.Generation;
using RagTune.Engine.Training;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace RagTune.Server.Tests;

public sealed class BatchedServingTests
{
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private static string EngineAnswer(string? adapterPath, string question, int maxTokens)
    {
        using var plain = LocalChatClient.Load(TestServer.ChatModelPath);
        var adapters = adapterPath is null ? null : PeftAdapter.Load(adapterPath, plain.Generator.Model.LayerLinears);
        using var client = new LocalChatClient(plain.Generator, plain.Template, plain.ModelId, new LocalChatClientOptions { Adapters = adapters });
        return client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, question)],
            new ChatOptions { MaxOutputTokens = maxTokens }, Ct).GetAwaiter().GetResult().Text;
    }

    [Fact]
    public async Task Concurrent_streaming_requests_share_decode_steps_and_answer_as_alone()
    {
        var options = new ServerOptions
        {
            Models = [new ModelEntry { Name = "tiny", Path = TestServer.ChatModelPath, Adapters = [new AdapterEntry { Name = "tiny-lora", Path = TestAdapter.Path }] }],
            MaxConcurrentPerModel = 4,
        };
        await using var server = await TestServer.StartAsync(options);
        var generator = Assert.IsType<ModelPipeline>(server.App.Services.GetRequiredService<ModelRegistry>().GetChat("tiny")).Client.GetService<TextGenerator>()!;
        Assert.Equal(8, generator.Batching.MaxStreams);   // the base's 4 and its adapter's 4

        (string Model, string? Adapter, string Question)[] requests =
        [
            ("tiny", null, "What is the return policy?"), ("tiny-lora", TestAdapter.Path, "What is the return policy?"),
            ("tiny", null, "Tell me a story"), ("tiny-lora", TestAdapter.Path, "保修期多久？"), ("tiny", null, "退货政策是什么？"),
        ];
        var expected = requests.Select(r => EngineAnswer(r.Adapter, r.Question, 16)).ToArray();
        var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = server.ApiBase, NetworkTimeout = TimeSpan.FromSeconds(60) });
        async Task<string> Stream((string Model, string? Adapter, string Question) r)
        {
            var text = new StringBuilder();
            await foreach (var u in client.GetChatClient(r.Model).CompleteChatStreamingAsync([ChatMessage.CreateUserMessage(r.Question)],
                new ChatCompletionOptions { MaxOutputTokenCount = 16 }, Ct))
                foreach (var part in u.ContentUpdate) text.Append(part.Text);
            return text.ToString();
        }

        long batchedBefore = generator.Batcher.BatchedSteps;
        Task<string[]> answers;
        using (generator.Batcher.Hold())
        {
            answers = Task.WhenAll(requests.Select(Stream));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (generator.Batcher.Waiting < requests.Length && DateTime.UtcNow < deadline) await Task.Delay(5, Ct);
            Assert.Equal(requests.Length, generator.Batcher.Waiting);
        }
        Assert.Equal(expected, await answers);
        Assert.True(generator.Batcher.BatchedSteps - batchedBefore >= 1, $"{generator.Batcher.BatchedSteps - batchedBefore} batched steps");
    }
}
