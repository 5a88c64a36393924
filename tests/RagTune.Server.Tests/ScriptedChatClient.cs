// IChatClient test doubles: a scripted one (fixed reply, records the prompt) and a slow one (streams until cancelled,
// or waits for a gate) to test back-pressure and disconnect cancellation.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace RagTune.Server.Tests;

public sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, string> reply) : IChatClient
{
    public List<IReadOnlyList<ChatMessage>> Prompts { get; } = [];

    /// <summary>Completed when the first request has started streaming.</summary>
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, each request waits for it before its first token.</summary>
    public TaskCompletionSource? Gate { get; init; }

    /// <summary>Delay between streamed pieces; with <see cref="Endless"/> the stream runs until cancelled.</summary>
    public TimeSpan PieceDelay { get; init; } = TimeSpan.Zero;
    public bool Endless { get; init; }

    /// <summary>Completed with true when a running request saw its cancellation token fire.</summary>
    public TaskCompletionSource<bool> SawCancellation { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in GetStreamingResponseAsync(messages, options, cancellationToken)) updates.Add(u);
        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (Prompts) Prompts.Add(list);
        Started.TrySetResult();
        if (Gate is not null) await Gate.Task.WaitAsync(cancellationToken);
        string text = reply(list);
        int pieces = 0;
        for (int i = 0; Endless || i < text.Length; i += 4)
        {
            try
            {
                if (PieceDelay > TimeSpan.Zero) await Task.Delay(PieceDelay, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (OperationCanceledException)
            {
                SawCancellation.TrySetResult(true);
                throw;
            }
            pieces++;
            yield return new ChatResponseUpdate(ChatRole.Assistant, Endless ? "x " : text.Substring(i, Math.Min(4, text.Length - i)));
        }
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 7, OutputTokenCount = pieces })])
        {
            FinishReason = ChatFinishReason.Stop,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
