// LoRA adapters served as their own model names: the official OpenAI SDK gets the engine's greedy answer with the PEFT
// adapter applied unmerged (different from the base model's), /v1/models lists the adapter with its parent and root (folder names) as
// vLLM does, an adapter has its own bounded queue, and bad adapter folders fail at start-up naming the adapter. A base
// is loaded once however many adapters it serves, and requests to the base and its adapters interleave on it correctly.
using System.ClientModel;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using RagTune.Engine.AI;
using RagTune.Engine.Generation;
using RagTune.Engine.Models;
using RagTune.Engine.Training;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using Xunit;
using ChatMessage = OpenAI.Chat.ChatMessage;

namespace RagTune.Server.Tests;

public sealed class AdapterTests(SharedServer shared)
{
    private TestServer Server => shared.Server;
    private static readonly CancellationToken Ct = TestContext.Current.CancellationToken;

    private ChatClient Chat(string model) =>
        new(model, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = Server.ApiBase, NetworkTimeout = TimeSpan.FromSeconds(30) });

    private static string EngineAnswer(bool withAdapter, string question, int maxTokens) =>
        EngineAnswer(withAdapter ? TestAdapter.Path : null, question, maxTokens);

    private static string EngineAnswer(string? adapterPath, string question, int maxTokens)
    {
        using var plain = LocalChatClient.Load(TestServer.ChatModelPath);
        var adapters = adapterPath is null ? null : PeftAdapter.Load(adapterPath, plain.Generator.Model.LayerLinears);
        using var client = new LocalChatClient(plain.Generator, plain.Template, plain.ModelId, new LocalChatClientOptions { Adapters = adapters });
        return client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, question)],
            new ChatOptions { MaxOutputTokens = maxTokens }, Ct).GetAwaiter().GetResult().Text;
    }

    [Fact]
    public async Task Adapter_model_answers_with_the_adapter_applied()
    {
        const string question = "What is the return policy?";
        var adapted = (await Chat("tiny-lora").CompleteChatAsync([ChatMessage.CreateUserMessage(question)],
            new ChatCompletionOptions { MaxOutputTokenCount = 12 }, Ct)).Value;
        var plain = (await Chat("tiny").CompleteChatAsync([ChatMessage.CreateUserMessage(question)],
            new ChatCompletionOptions { MaxOutputTokenCount = 12 }, Ct)).Value;

        Assert.Equal("tiny-lora", adapted.Model);
        Assert.Equal(EngineAnswer(withAdapter: true, question, 12), adapted.Content[0].Text);
        Assert.Equal(EngineAnswer(withAdapter: false, question, 12), plain.Content[0].Text);
        Assert.NotEqual(plain.Content[0].Text, adapted.Content[0].Text);
    }

    [Fact]
    public async Task Streamed_adapter_answer_equals_the_plain_one()
    {
        const string question = "Tell me a story";
        var options = new ChatCompletionOptions { MaxOutputTokenCount = 10 };
        string whole = (await Chat("tiny-lora").CompleteChatAsync([ChatMessage.CreateUserMessage(question)], options, Ct)).Value.Content[0].Text;
        var streamed = new System.Text.StringBuilder();
        await foreach (var u in Chat("tiny-lora").CompleteChatStreamingAsync([ChatMessage.CreateUserMessage(question)], options, Ct))
            foreach (var part in u.ContentUpdate) streamed.Append(part.Text);
        Assert.Equal(whole, streamed.ToString());
    }

    [Fact]
    public async Task Models_list_the_adapter_with_its_parent_and_root()
    {
        using var http = Server.Http();
        var list = JsonDocument.Parse(await http.GetStringAsync("/v1/models", Ct)).RootElement.GetProperty("data");
        var adapter = list.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "tiny-lora");
        Assert.Equal("adapter", adapter.GetProperty("kind").GetString());
        Assert.Equal("tiny", adapter.GetProperty("parent").GetString());
        Assert.Equal(Path.GetFileName(TestAdapter.Path), adapter.GetProperty("root").GetString());
        var baseModel = list.EnumerateArray().Single(m => m.GetProperty("id").GetString() == "tiny");
        Assert.Equal(JsonValueKind.Null, baseModel.GetProperty("parent").ValueKind);
        Assert.Equal("qwen2-tiny", baseModel.GetProperty("root").GetString());

        var one = JsonDocument.Parse(await http.GetStringAsync("/v1/models/tiny-lora", Ct)).RootElement;
        Assert.Equal("tiny", one.GetProperty("parent").GetString());
    }

    [Fact]
    public async Task Adapter_has_its_own_bounded_queue_with_the_model_limits()
    {
        var options = new ServerOptions
        {
            Models = [new ModelEntry { Name = "tiny", Path = TestServer.ChatModelPath, DefaultMaxTokens = 4, Adapters = [new AdapterEntry { Name = "tiny-lora", Path = TestAdapter.Path }] }],
            MaxConcurrentPerModel = 1,
            MaxQueuePerModel = 0,
        };
        await using var server = await TestServer.StartAsync(options);
        var adapter = Assert.IsType<ModelPipeline>(server.App.Services.GetRequiredService<ModelRegistry>().GetChat("tiny-lora"));
        Assert.Equal("adapter", adapter.Kind);
        using var http = server.Http();
        Task<HttpResponseMessage> Ask(string model) => http.PostAsync("/v1/chat/completions",
            new StringContent($$$"""{"model":"{{{model}}}","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"), Ct);

        using (await adapter.Gate.EnterAsync(Ct))
        {
            var refused = await Ask("tiny-lora");
            Assert.Equal((HttpStatusCode)429, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            Assert.Equal(HttpStatusCode.OK, (await Ask("tiny")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await Ask("tiny-lora")).StatusCode);
    }

    private static ServerOptions TwoAdapters() => new()
    {
        Models =
        [
            new ModelEntry
            {
                Name = "tiny", Path = TestServer.ChatModelPath, DefaultMaxTokens = 10,
                Adapters = [new AdapterEntry { Name = "tiny-lora", Path = TestAdapter.Path }, new AdapterEntry { Name = "tiny-lora-b", Path = TestAdapter.SecondPath }],
            },
        ],
    };

    [Fact]
    public async Task Adapters_of_one_base_share_its_single_loaded_model()
    {
        await using var registry = await ModelRegistry.CreateAsync(TwoAdapters(), cancellationToken: Ct);
        TextGenerator Generator(string name) =>
            Assert.IsType<ModelPipeline>(registry.GetChat(name)).Client.GetService<TextGenerator>()
            ?? throw new InvalidOperationException($"{name} has no local generator");
        var baseModel = Generator("tiny").Model;
        // One DecoderModel (so one set of weight arrays) serves the base and both adapters.
        Assert.Same(baseModel, Generator("tiny-lora").Model);
        Assert.Same(baseModel, Generator("tiny-lora-b").Model);
        Assert.Same(baseModel.Layers[0].QProj!.Weight, Generator("tiny-lora-b").Model.Layers[0].QProj!.Weight);
        // What an adapter adds is its own A and B (rank 4 here), a small fraction of the base; the base serves none.
        AdapterSet? Adapters(string name) => Assert.IsType<ModelPipeline>(registry.GetChat(name)).Client.GetService<AdapterSet>();
        Assert.Null(Adapters("tiny"));
        Assert.NotSame(Adapters("tiny-lora"), Adapters("tiny-lora-b"));
        Assert.InRange(Adapters("tiny-lora")!.ParameterCount, 1, baseModel.ParameterCount / 4);
    }

    [Fact]
    public async Task Requests_to_the_base_and_two_adapters_interleave_correctly()
    {
        await using var server = await TestServer.StartAsync(TwoAdapters());
        string[] models = ["tiny", "tiny-lora", "tiny-lora-b"];
        string[] questions = ["What is the return policy?", "Tell me a story"];
        var expected = new Dictionary<(string, string), string>();
        foreach (var m in models)
            foreach (var q in questions)
                expected[(m, q)] = EngineAnswer(m switch { "tiny-lora" => TestAdapter.Path, "tiny-lora-b" => TestAdapter.SecondPath, _ => null }, q, 10);
        Assert.Equal(models.Length, models.Select(m => expected[(m, questions[0])]).Distinct().Count());

        var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = server.ApiBase, NetworkTimeout = TimeSpan.FromSeconds(60) });
        var requests = (from round in Enumerable.Range(0, 2) from m in models from q in questions select (m, q)).ToList();
        var answers = await Task.WhenAll(requests.Select(async r =>
            (await client.GetChatClient(r.m).CompleteChatAsync([ChatMessage.CreateUserMessage(r.q)],
                new ChatCompletionOptions { MaxOutputTokenCount = 10 }, Ct)).Value.Content[0].Text));
        for (int i = 0; i < requests.Count; i++)
            Assert.Equal(expected[requests[i]], answers[i]);
    }

    [Fact]
    public async Task Missing_adapter_folder_fails_at_start_naming_the_adapter()
    {
        var options = new ServerOptions
        {
            Models = [new ModelEntry { Name = "tiny", Path = TestServer.ChatModelPath, Adapters = [new AdapterEntry { Name = "bad", Path = TestServer.Data("no-such-adapter") }] }],
        };
        var e = await Assert.ThrowsAsync<ServerException>(() => TestServer.StartAsync(options));
        Assert.Contains("adapter 'bad'", e.Message);
        Assert.Contains("adapter_config.json is missing", e.Message);
    }
}
