// Model "rag:<kb>": the generator's RagChatClient (retrieve → the recorded RAFT prompt → generate → citations) behind the
// generator's queue, streamed as pipeline events (passages first, citations with the end).
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Rag;
using RagTune.Server.Api;
using RagTune.Server.Configuration;
using RagTune.Server.Models;

namespace RagTune.Server.Rag;

public sealed class RagPipeline : IChatPipeline
{
    private readonly ModelPipeline _generator;

    public RagPipeline(string name, IRagRetriever retriever, ModelPipeline generator, KnowledgeBaseEntry settings, RagPromptFormat format)
    {
        format.Validate($"knowledge base '{settings.Name}'");
        Name = name;
        _generator = generator;
        Client = new RagChatClient(generator.Client, retriever, new RagChatClientOptions
        {
            Format = format,
            TopK = settings.TopK,
            SystemPrompt = settings.SystemPrompt,
            FallbackCitations = settings.FallbackCitations,
            SourcesFooter = settings.SourcesFooter,
            SourcesHeading = settings.SourcesHeading,
        });
    }

    public string Name { get; }
    public string Kind => "rag";

    /// <summary>RAG over the generator's client (not disposed here: the registry owns the generator).</summary>
    public RagChatClient Client { get; }

    public IRagRetriever Retriever => Client.Retriever;

    /// <summary>The prompt the generator was trained on.</summary>
    public RagPromptFormat Format => Client.Options.Format;

    public async IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!messages.Any(m => m.Role == ChatRole.User))
            throw ApiException.BadRequest($"model '{Name}' answers a user question; the request has no user message", "messages");
        using var slot = await _generator.Gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var e in ModelPipeline.StreamAsync(Client, messages, options, cancellationToken).ConfigureAwait(false))
            yield return e;
    }
}
