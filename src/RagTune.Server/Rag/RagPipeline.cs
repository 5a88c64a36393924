// Model "rag:<kb>": retrieve passages for the last user question, ask the generator with the RAFT instruction prompt, stream
// the answer, then add citations (structured, and as a "Sources" footer when configured).
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using RagTune.Server.Api;

namespace RagTune.Server.Rag;

public sealed class RagPipeline : IChatPipeline
{
    private readonly IRagRetriever _retriever;
    private readonly ModelPipeline _generator;
    private readonly KnowledgeBaseEntry _settings;

    public RagPipeline(string name, IRagRetriever retriever, ModelPipeline generator, KnowledgeBaseEntry settings)
    {
        Name = name;
        _retriever = retriever;
        _generator = generator;
        _settings = settings;
    }

    public string Name { get; }
    public string Kind => "rag";
    public IRagRetriever Retriever => _retriever;

    public async IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int last = -1;
        for (int i = messages.Count - 1; i >= 0; i--)
            if (messages[i].Role == ChatRole.User) { last = i; break; }
        if (last < 0) throw ApiException.BadRequest($"model '{Name}' answers a user question; the request has no user message", "messages");
        string question = messages[last].Text;

        using var slot = await _generator.Gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        var passages = await _retriever.RetrieveAsync(question, _settings.TopK, cancellationToken).ConfigureAwait(false);
        yield return new PipelineEvent { Passages = passages };

        // Earlier turns stay; the last question becomes the RAFT instruction. The caller's system message wins over ours.
        var prompt = new List<ChatMessage>();
        if (_settings.SystemPrompt is { } system && !messages.Any(m => m.Role == ChatRole.System))
            prompt.Add(new ChatMessage(ChatRole.System, system));
        for (int i = 0; i < messages.Count; i++)
            prompt.Add(i == last ? new ChatMessage(ChatRole.User, RaftPrompt.Build(passages.Select(p => p.Text), question)) : messages[i]);

        var answer = new StringBuilder();
        await foreach (var e in _generator.GenerateAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            if (e.Text is { } t) answer.Append(t);
            if (e.FinishReason is null)
            {
                yield return e;
                continue;
            }
            var citations = CitationExtractor.Extract(answer.ToString(), passages, _settings.FallbackCitations);
            string footer = _settings.SourcesFooter ? CitationExtractor.Footer(_settings.SourcesHeading, citations) : "";
            yield return e with { Text = (e.Text ?? "") + footer, Citations = citations };
        }
    }
}
