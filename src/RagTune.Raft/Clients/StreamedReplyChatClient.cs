// Answers GetResponseAsync by streaming and collecting the updates: a long generation keeps the connection busy (proxies
// do not cut it), and a resilience step above still retries whole replies.
using Microsoft.Extensions.AI;

namespace RagTune.Raft.Clients;

/// <remarks>A complete event stream ends with a finish reason: a 200 whose body is not an event stream (an HTML page, a JSON
/// error) yields no update, and a stream cut off mid-reply none with a finish reason. Both are a
/// <see cref="MalformedReplyException"/>, which the resilience step retries, never an (empty) answer.</remarks>
public sealed class StreamedReplyChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            updates.Add(update);
        if (updates.Count == 0)
            throw new MalformedReplyException("the streamed reply held no chat completion chunk (expected text/event-stream 'data: {...}' lines)");
        if (updates.All(u => u.FinishReason is null))
            throw new MalformedReplyException($"the streamed reply ended after {updates.Count} chunk(s) without a finish_reason (expected a complete event stream)");
        return updates.ToChatResponse();
    }
}
