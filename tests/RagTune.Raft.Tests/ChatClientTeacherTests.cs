// The IChatClient teacher (e.g. the local engine as teacher): messages, options, usage and reasoning mapped both ways.
using Microsoft.Extensions.AI;
using RagTune.Raft.Generation;
using RagTune.Raft.Teachers;
using RagTune.Raft.Tests.Infrastructure;

namespace RagTune.Raft.Tests;

public sealed class ChatClientTeacherTests
{
    [Fact]
    public async Task Maps_messages_options_usage_and_reasoning()
    {
        var client = new ScriptedChatClient(_ => new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [new TextReasoningContent("model reasoning"), new TextContent("<think>inline</think>The answer.\n<ANSWER>: 3")]))
        {
            Usage = new UsageDetails { InputTokenCount = 11, OutputTokenCount = 7 },
        });
        var teacher = new ChatClientTeacher(client, "local-qwen");
        var reply = await teacher.CompleteAsync(new TeacherRequest([new TeacherMessage(TeacherRole.System, "s"), new TeacherMessage(TeacherRole.User, "u")], 0.2f, 99), TestContext.Current.CancellationToken);
        Assert.Equal("The answer.\n<ANSWER>: 3", reply.Content);
        Assert.Equal("model reasoning\ninline", reply.Reasoning);
        Assert.Equal(new TeacherUsage(11, 7), reply.Usage);
        var (messages, options) = Assert.Single(client.Calls);
        Assert.Equal([ChatRole.System, ChatRole.User], messages.Select(m => m.Role));
        Assert.Equal((0.2f, 99, "local-qwen"), (options!.Temperature, options.MaxOutputTokens, options.ModelId));
    }

    [Fact]
    public async Task Drives_a_whole_generation()
    {
        using var dir = new TempDir();
        var client = new ScriptedChatClient(messages => new ChatResponse(new ChatMessage(ChatRole.Assistant,
            RaftResponder.Reply("", messages.Last(m => m.Role == ChatRole.User).Text))));
        var result = await new RaftGenerator(new ChatClientTeacher(client, "local"), new RaftOptions { QuestionsPerChunk = 2, Distractors = 1 })
            .RunAsync(TestCorpus.English(3, 1), dir.Path, null, TestContext.Current.CancellationToken);
        Assert.Equal(6, result.Examples);
        Assert.Equal(9, client.Calls.Count);
    }

    private sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatResponse> reply) : IChatClient
    {
        public List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            lock (Calls)
                Calls.Add((list, options));
            return Task.FromResult(reply(list));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("the teacher adapter does not stream");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
