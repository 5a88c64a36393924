// Model "rag:<kb>": the generator's RagChatClient (retrieve → the recorded RAFT prompt → generate → citations) behind the
// generator's queue, streamed as pipeline events (passages first, citations with the end).
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Rag;
using RagTune.Server.Configuration;

namespace RagTune.Server.Models;

public sealed class RagPipeline : IChatPipeline
{
    public RagPipeline(string name, IRagRetriever retriever, ModelPipeline generator, KnowledgeBaseEntry settings, RagPromptFormat format)
    {
        format.Validate($"knowledge base '{settings.Name}'");
        Name = name;
        Client = new RagChatClient(generator.Client, retriever, new RagChatClientOptions
        {
            Format = format,
            TopK = settings.TopK,
            SystemPrompt = settings.SystemPrompt,
            FallbackCitations = settings.FallbackCitations,
            SourcesFooter = settings.SourcesFooter,
            SourcesHeading = settings.SourcesHeading,
        });
        // A request without a question is the client's error (400) rather than the RAG client's ArgumentException (500).
        ServedClient = new GatedChatClient(Client, generator.Gate, messages =>
        {
            if (!messages.Any(m => m.Role == ChatRole.User))
                throw ApiException.BadRequest($"model '{Name}' answers a user question; the request has no user message", "messages");
        });
    }

    public string Name { get; }
    public string Kind => "rag";

    /// <summary>RAG over the generator's client (not disposed here: the registry owns the generator).</summary>
    public RagChatClient Client { get; }

    public IRagRetriever Retriever => Client.Retriever;

    /// <summary>The prompt the generator was trained on.</summary>
    public RagPromptFormat Format => Client.Options.Format;

    public IChatClient ServedClient { get; }

    public IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options, CancellationToken cancellationToken) =>
        ModelPipeline.StreamAsync(ServedClient, messages, options, cancellationToken);
}
