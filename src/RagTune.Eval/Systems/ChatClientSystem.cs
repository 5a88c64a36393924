// An IEvalSystem over any IChatClient: closed-book, over the item's own documents, or over a retriever, with the RAFT
// prompt of the recorded RagPromptFormat.
using RagTune.Knowledge.Rag;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using RagTune.Eval.Data;

namespace RagTune.Eval.Systems;

public sealed class ChatClientSystem : IEvalSystem
{
    private readonly IChatClient _client;
    private readonly RagChatClient? _rag;
    private readonly ChatClientSystemOptions _options;

    public ChatClientSystem(IChatClient client, ChatClientSystemOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Name);
        if (options.Context == ContextSource.Retriever && options.Retriever is null)
            throw new EvalException($"system '{options.Name}': Context is Retriever but no Retriever was given; expected one");
        if (options.Context == ContextSource.Retriever && !string.IsNullOrEmpty(options.Instruction))
            throw new EvalException($"system '{options.Name}': an Instruction after the question would be searched with it; expected none when Context is Retriever");
        _client = client;
        _options = options;
        // The same RAG client the server answers rag:<kb> with: retrieval, the recorded prompt, citations.
        if (options.Context == ContextSource.Retriever)
            _rag = new RagChatClient(client, options.Retriever!, new RagChatClientOptions { Format = options.Format, TopK = options.TopK, SystemPrompt = options.SystemPrompt });
    }

    public string Name => _options.Name;

    public async Task<SystemAnswer> AnswerAsync(EvalItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var watch = Stopwatch.StartNew();
        var chatOptions = _options.ChatOptions?.Clone() ?? new ChatOptions();
        chatOptions.Seed ??= _options.Seed;
        if (_rag is not null)
        {
            var reply = await _rag.GetResponseAsync([new ChatMessage(ChatRole.User, item.Question)], chatOptions, cancellationToken).ConfigureAwait(false);
            var passages = RagContent.From(reply)?.Passages ?? [];
            return new SystemAnswer(reply.Text ?? "", passages.Select(p => new RetrievedDocument(p.ChunkId, p.Text, null, p.Score)).ToList(), watch.Elapsed);
        }
        IReadOnlyList<RetrievedDocument>? docs = _options.Context == ContextSource.ItemDocuments ? ItemDocuments(item) : null;
        var question = string.IsNullOrEmpty(_options.Instruction) ? item.Question : item.Question + "\n" + _options.Instruction;
        var prompt = docs is null ? question : _options.Format.BuildInstruction(docs.Select(d => d.Text), question);
        var messages = new List<ChatMessage>();
        var system = _options.SystemPrompt ?? _options.Format.SystemPrompt;
        if (!string.IsNullOrEmpty(system)) messages.Add(new ChatMessage(ChatRole.System, system));
        messages.Add(new ChatMessage(ChatRole.User, prompt));
        var response = await _client.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
        return new SystemAnswer(response.Text ?? "", docs, watch.Elapsed);
    }

    private List<RetrievedDocument> ItemDocuments(EvalItem item)
    {
        var docs = item.Documents.Select(d => new RetrievedDocument(d.Id, d.Text, d.IsOracle)).ToList();
        if (_options.ShuffleDocuments)
        {
            // Per-item stream: the order does not depend on which items ran before (resume, concurrency).
            var rng = new Random(StableHash.Combine(_options.Seed, item.Id));
            for (int i = docs.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (docs[i], docs[j]) = (docs[j], docs[i]);
            }
        }
        return docs;
    }
}
