// A served chat "model": a plain model, a RAG pipeline over a knowledge base, or a router choosing between them.
using Microsoft.Extensions.AI;

namespace RagTune.Server.Models;

public interface IChatPipeline
{
    string Name { get; }

    /// <summary>"chat", "adapter", "rag" or "router" (listed by /v1/models and the UI).</summary>
    string Kind { get; }

    /// <summary>What a request to this name runs, as an IChatClient: admission (the model's bounded queue), then the model,
    /// RAG over it, or a IntentRoutingChatClient over other served clients. Owned by the registry; never dispose it.</summary>
    IChatClient ServedClient { get; }

    /// <summary>Runs one request through <see cref="ServedClient"/>. Admission happens before the first event, so a 429
    /// surfaces on the first MoveNextAsync, before any response byte is written.</summary>
    IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options, CancellationToken cancellationToken);
}
