// LocalChatClient against the TextGenerator and the PyTorch greedy ids of the tiny fixtures, and against the
// IChatClient contract: streaming = non-streaming, exact usage, stop sequences, cancellation between tokens, caller's
// options and messages untouched, concurrent calls = sequential calls, metadata, disposal, DI registration.
using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Engine.AI;
using RagTune.Engine.Chat;
using RagTune.Engine.Generation;
using RagTune.Engine.Tests.Models;
using Xunit;

namespace RagTune.Engine.Tests.AI;

public class LocalChatClientTests
{
    private const string Question = "What is RagTune?";
    private static readonly ConcurrentDictionary<string, LocalChatClient> Clients = new();

    /// <summary>One client per fixture, shared by the tests (it is thread-safe, which the tests rely on).</summary>
    private static LocalChatClient Client(string fixture) => Clients.GetOrAdd(fixture, f => LocalChatClient.Load(Fixtures.Dir(f)));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen3-tiny")]
    [InlineData("llama-tiny")]
    public async Task Greedy_answer_is_the_text_generators_answer_to_the_templated_prompt(string fixture)
    {
        var golden = Fixtures.Golden(fixture);
        int[] promptIds = golden.GetProperty("chat_prompt_ids").Ints();
        int[] greedyIds = golden.GetProperty("chat_greedy_ids").Ints();
        var client = Client(fixture);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Question)],
            new ChatOptions { MaxOutputTokens = greedyIds.Length }, Ct);

        var stops = client.Generator.EosTokenIds.Union(client.Template.StopTokenIds(client.Generator.Tokenizer)).ToArray();
        var expected = await client.Generator.GenerateTextAsync(promptIds,
            new GenerationOptions { MaxTokens = greedyIds.Length, StopTokenIds = stops }, Ct);
        Assert.Equal(greedyIds, expected.TokenIds);   // the oracle itself is anchored to PyTorch
        Assert.Equal(expected.Text, response.Text);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(promptIds.Length, response.Usage!.InputTokenCount);
        Assert.Equal(greedyIds.Length, response.Usage.OutputTokenCount);
        Assert.Equal(promptIds.Length + greedyIds.Length, response.Usage.TotalTokenCount);
        Assert.Equal(fixture, response.ModelId);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
    }

    [Fact]
    public async Task Streaming_concatenates_to_the_non_streaming_response()
    {
        var client = Client("qwen3-tiny");
        ChatMessage[] messages = [new(ChatRole.System, "Be brief."), new(ChatRole.User, Question)];
        var options = new ChatOptions { MaxOutputTokens = 20, Temperature = 0.9f, TopK = 40, Seed = 7 };
        var whole = await client.GetResponseAsync(messages, options, Ct);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(messages, options, Ct))
            updates.Add(update);
        Assert.True(updates.Count > 1);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates, u => Assert.Equal(ChatRole.Assistant, u.Role));
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
        Assert.All(updates[..^1], u => Assert.Empty(u.Contents.OfType<UsageContent>()));
        Assert.Equal(whole.FinishReason, updates[^1].FinishReason);

        var folded = updates.ToChatResponse();
        Assert.Equal(whole.Text, folded.Text);
        Assert.Equal(whole.Usage!.InputTokenCount, folded.Usage!.InputTokenCount);
        Assert.Equal(whole.Usage.OutputTokenCount, folded.Usage.OutputTokenCount);
        Assert.Equal(whole.Usage.TotalTokenCount, folded.Usage.TotalTokenCount);
        Assert.Equal(20, whole.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Stop_sequence_cuts_the_answer_before_it()
    {
        var client = Client("qwen3-tiny");
        ChatMessage[] messages = [new(ChatRole.User, Question)];
        var full = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 24 }, Ct);
        string stop = full.Text.Substring(6, 3);
        int at = full.Text.IndexOf(stop, StringComparison.Ordinal);
        var cut = await client.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 24, StopSequences = ["never appears", stop] }, Ct);
        Assert.Equal(full.Text[..at], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
        Assert.True(cut.Usage!.OutputTokenCount < 24);
    }

    [Fact]
    public async Task Stop_token_ends_the_answer_unprinted_but_counted()
    {
        var golden = Fixtures.Golden("qwen3-tiny");
        int[] greedy = golden.GetProperty("chat_greedy_ids").Ints();
        var shared = Client("qwen3-tiny");
        // Pretend the third greedy token is the model's end-of-sequence token.
        var generator = new TextGenerator(shared.Generator.Model, shared.Generator.Tokenizer, [greedy[2]]);
        using var client = new LocalChatClient(generator, shared.Template, "qwen3-tiny");
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Question)], new ChatOptions { MaxOutputTokens = 24 }, Ct);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(shared.Generator.Tokenizer.Decode(greedy[..2], skipSpecialTokens: true), response.Text);
        Assert.Equal(3, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Max_output_tokens_ends_with_length()
    {
        var response = await Client("llama-tiny").GetResponseAsync([new ChatMessage(ChatRole.User, Question)],
            new ChatOptions { MaxOutputTokens = 3 }, Ct);
        Assert.Equal(ChatFinishReason.Length, response.FinishReason);
        Assert.Equal(3, response.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Cancellation_is_honoured_before_the_first_token_and_between_tokens()
    {
        var client = Client("qwen2-tiny");
        ChatMessage[] messages = [new(ChatRole.User, Question)];
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(messages, null, cancelled.Token));

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        int received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync(messages, new ChatOptions { MaxOutputTokens = 200 }, cts.Token))
            {
                received++;
                await cts.CancelAsync();
            }
        });
        Assert.Equal(1, received);   // the very next token was not generated
    }

    [Fact]
    public async Task Callers_options_and_messages_are_not_mutated()
    {
        var client = Client("qwen3-tiny");
        var stops = new List<string> { "zz" };
        var options = new ChatOptions
        {
            MaxOutputTokens = 5, Temperature = 0.7f, TopP = 0.9f, TopK = 20, Seed = 3, StopSequences = stops, ModelId = "qwen3-tiny",
            Instructions = "Answer in one word.", FrequencyPenalty = 0.5f, PresencePenalty = 0.5f,
            Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None },
            AdditionalProperties = new AdditionalPropertiesDictionary { [LocalChatClient.RepetitionPenaltyKey] = 1.2 },
        };
        var messages = new List<ChatMessage> { new(ChatRole.System, "Be brief."), new(ChatRole.User, Question) };
        string optionsBefore = JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions);
        string messagesBefore = JsonSerializer.Serialize(messages, AIJsonUtilities.DefaultOptions);

        await client.GetResponseAsync(messages, options, Ct);
        await foreach (var _ in client.GetStreamingResponseAsync(messages, options, Ct)) { }

        Assert.Equal(optionsBefore, JsonSerializer.Serialize(options, AIJsonUtilities.DefaultOptions));
        Assert.Equal(messagesBefore, JsonSerializer.Serialize(messages, AIJsonUtilities.DefaultOptions));
        Assert.Same(stops, options.StopSequences);
        Assert.Equal(["zz"], stops);
        Assert.Equal(2, messages.Count);
    }

    [Fact]
    public void Options_map_onto_the_template_and_the_sampler()
    {
        var client = Client("qwen3-tiny");
        var options = new ChatOptions
        {
            MaxOutputTokens = 9, Temperature = 0.5f, TopP = 0.8f, TopK = 7, Seed = -1, StopSequences = ["END"],
            Instructions = "Answer in one word.", Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None },
            AdditionalProperties = new AdditionalPropertiesDictionary { [LocalChatClient.RepetitionPenaltyKey] = 1.25 },
        };
        var (ids, generation) = client.Prepare([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi")], options);

        string expectedPrompt = "<|im_start|>system\nBe brief.\n\nAnswer in one word.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\n\n";
        Assert.Equal(client.Generator.Tokenizer.Encode(expectedPrompt, parseSpecial: true), ids);
        Assert.Equal(9, generation.MaxTokens);
        Assert.Equal(["END"], generation.StopStrings);
        Assert.Equal(new SamplingOptions { Temperature = 0.5f, TopP = 0.8f, TopK = 7, Seed = ulong.MaxValue, RepetitionPenalty = 1.25f },
            generation.Sampling);
        Assert.Equal([506, 508], generation.StopTokenIds!.Order());

        var (plain, defaults) = client.Prepare([new ChatMessage(ChatRole.User, "Hi")], null);
        Assert.Equal(client.Generator.Tokenizer.Encode("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", parseSpecial: true), plain);
        Assert.Equal(512, defaults.MaxTokens);
        Assert.True(defaults.Sampling.IsGreedy);
    }

    [Fact]
    public async Task Concurrent_calls_give_the_sequential_answers()
    {
        var client = Client("qwen2-tiny");
        var requests = Enumerable.Range(0, 8).Select(i => (
            Messages: new[] { new ChatMessage(ChatRole.User, $"Question {i}: what does RagTune do?") },
            Options: new ChatOptions { MaxOutputTokens = 12, Temperature = i % 2 == 0 ? 0f : 0.8f, Seed = i })).ToArray();

        var sequential = new List<string>();
        foreach (var (messages, options) in requests)
            sequential.Add((await client.GetResponseAsync(messages, options, Ct)).Text);

        var concurrent = await Task.WhenAll(requests.Select(r =>
            Task.Run(async () => (await client.GetResponseAsync(r.Messages, r.Options, Ct)).Text, Ct)));
        Assert.Equal(sequential, concurrent);
        Assert.True(sequential.Distinct().Count() > 1, "the requests should not all have the same answer");
    }

    [Fact]
    public void Metadata_and_services()
    {
        var client = Client("qwen2-tiny");
        var metadata = Assert.IsType<ChatClientMetadata>(client.GetService(typeof(ChatClientMetadata)));
        Assert.Equal("ragtune", metadata.ProviderName);
        Assert.Equal("qwen2-tiny", metadata.DefaultModelId);
        Assert.Same(client, client.GetService<LocalChatClient>());
        Assert.Same(client, client.GetService<IChatClient>());
        Assert.Same(client.Template, client.GetService<ChatTemplate>());
        Assert.Null(client.GetService(typeof(ChatClientMetadata), "some key"));
        Assert.Null(client.GetService<string>());
    }

    [Fact]
    public async Task Model_id_is_configurable_and_checked()
    {
        var client = Client("qwen2-tiny");
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { ModelId = "gpt-4o" }, Ct));
        Assert.Contains("gpt-4o", ex.Message);
        var named = new LocalChatClient(client.Generator, client.Template, "qwen2-tiny", new LocalChatClientOptions { ModelId = "student-v1" });
        var response = await named.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], new ChatOptions { MaxOutputTokens = 2, ModelId = "student-v1" }, Ct);
        Assert.Equal("student-v1", response.ModelId);
        Assert.Equal("student-v1", named.Metadata.DefaultModelId);
    }

    [Fact]
    public async Task Disposed_client_refuses_new_calls()
    {
        var shared = Client("qwen2-tiny");
        var client = new LocalChatClient(shared.Generator, shared.Template, "qwen2-tiny");
        client.Dispose();
        client.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Hi")], null, Ct));
    }

    [Fact]
    public async Task Registered_through_dependency_injection()
    {
        var services = new ServiceCollection();
        services.AddLocalChatClient(Fixtures.Dir("qwen2-tiny"), new LocalChatClientOptions { DefaultMaxOutputTokens = 4 });
        services.AddKeyedLocalChatClient("llama", Fixtures.Dir("llama-tiny"));
        using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();
        Assert.Same(chat, provider.GetRequiredService<LocalChatClient>());
        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, Question)], cancellationToken: Ct);
        Assert.Equal(4, response.Usage!.OutputTokenCount);
        var llama = provider.GetRequiredKeyedService<IChatClient>("llama");
        Assert.Equal("llama-tiny", llama.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    // Issue 13: AddLocalChatClient returns a ChatClientBuilder, so the registered IChatClient is a pipeline over the model.
    [Fact]
    public async Task Dependency_injection_returns_a_builder_whose_steps_run()
    {
        var services = new ServiceCollection();
        services.AddLocalChatClient(Fixtures.Dir("qwen2-tiny"), new LocalChatClientOptions { DefaultMaxOutputTokens = 6 })
            .ConfigureOptions(o => o.MaxOutputTokens ??= 2);
        services.AddKeyedLocalChatClient("llama", Fixtures.Dir("llama-tiny")).ConfigureOptions(o => o.MaxOutputTokens ??= 3);
        using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();
        Assert.IsNotType<LocalChatClient>(chat);
        Assert.Same(provider.GetRequiredService<LocalChatClient>(), chat.GetService<LocalChatClient>());
        var response = await chat.GetResponseAsync([new ChatMessage(ChatRole.User, Question)], cancellationToken: Ct);
        Assert.Equal(2, response.Usage!.OutputTokenCount);
        var llama = provider.GetRequiredKeyedService<IChatClient>("llama");
        Assert.Equal(3, (await llama.GetResponseAsync([new ChatMessage(ChatRole.User, Question)], cancellationToken: Ct)).Usage!.OutputTokenCount);
        Assert.Equal("llama-tiny", llama.GetService<LocalChatClient>()!.ModelId);
    }
}
