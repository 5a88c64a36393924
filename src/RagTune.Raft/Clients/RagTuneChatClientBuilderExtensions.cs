// ChatClientBuilder steps of RagTune's remote clients: the one resilience policy, and whole replies fetched as streams.
using RagTune.Raft.Clients;

namespace Microsoft.Extensions.AI;

public static class RagTuneChatClientBuilderExtensions
{
    /// <summary>Adds a <see cref="ResilientChatClient"/> (bounded concurrency, retries with backoff and jitter, Retry-After,
    /// per-attempt timeout) to the pipeline.</summary>
    public static ChatClientBuilder UseResilience(this ChatClientBuilder builder, ResilienceOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new ResilientChatClient(inner, options, timeProvider));
    }

    /// <summary>Adds a <see cref="StreamedReplyChatClient"/>: whole replies are fetched as event streams.</summary>
    public static ChatClientBuilder UseStreamedReplies(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use(inner => new StreamedReplyChatClient(inner));
    }
}
