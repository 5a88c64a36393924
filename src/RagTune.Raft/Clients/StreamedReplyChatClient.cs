// Answers GetResponseAsync by streaming and collecting the updates: a long generation keeps the connection busy (proxies
// do not cut it), and a resilience step above still retries whole replies.
using Microsoft.Extensions.AI;

namespace RagTune.Raft.Clients;

public sealed class StreamedReplyChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        base.GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);
}
