// A served chat "model": a plain model, a RAG pipeline over a knowledge base, or a router choosing between them.
using Microsoft.Extensions.AI;

namespace RagTune.Server.Models;

public interface IChatPipeline
{
    string Name { get; }

    /// <summary>"chat", "rag" or "router" (listed by /v1/models and the UI).</summary>
    string Kind { get; }

    /// <summary>Runs one request. Admission (the model's queue) happens before the first event, so a 429 surfaces on the
    /// first MoveNextAsync, before any response byte is written.</summary>
    IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options, CancellationToken cancellationToken);
}
