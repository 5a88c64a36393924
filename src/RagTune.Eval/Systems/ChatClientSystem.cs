// An IEvalSystem over any IChatClient: closed-book, over the item's own documents, or over a retriever, with RAFT prompts.
using System.Diagnostics;
using Microsoft.Extensions.AI;
using RagTune.Eval.Data;
using RagTune.Eval.Running;

namespace RagTune.Eval.Systems;

public sealed class ChatClientSystem : IEvalSystem
{
    private readonly IChatClient _client;
    private readonly ChatClientSystemOptions _options;

    public ChatClientSystem(IChatClient client, ChatClientSystemOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Name);
        if (options.Context == ContextSource.Retriever && options.Retriever is null)
            throw new EvalException($"system '{options.Name}': Context is Retriever but no Retriever delegate was given; expected one");
        _client = client;
        _options = options;
    }

    public string Name => _options.Name;

    public async Task<SystemAnswer> AnswerAsync(EvalItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        var watch = Stopwatch.StartNew();
        IReadOnlyList<RetrievedDocument>? docs = _options.Context switch
        {
            ContextSource.ItemDocuments => ItemDocuments(item),
            ContextSource.Retriever => await _options.Retriever!(item, cancellationToken).ConfigureAwait(false),
            _ => null,
        };
        var prompt = docs is null
            ? (string.IsNullOrEmpty(_options.Instruction) ? item.Question : item.Question + "\n" + _options.Instruction)
            : RaftPromptBuilder.Build(docs.Select(d => d.Text), item.Question, _options.Instruction);
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(_options.SystemPrompt)) messages.Add(new ChatMessage(ChatRole.System, _options.SystemPrompt));
        messages.Add(new ChatMessage(ChatRole.User, prompt));
        var chatOptions = _options.ChatOptions?.Clone() ?? new ChatOptions();
        chatOptions.Seed ??= _options.Seed;
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
