// RAG as an IChatClient: retrieve passages for the last user question, turn that question into the prompt of the recorded
// RagPromptFormat, let the inner client answer, and attach the passages and the citations as RagContent.
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Rag;

/// <summary>
/// Earlier turns stay as they are; the last user turn becomes the RAFT instruction over the retrieved passages. A system
/// message (<see cref="RagChatClientOptions.SystemPrompt"/>, else the format's) is added only when the conversation has
/// none: the caller's wins. Citations are quotes (between the format's quote markers) found in the passages, else the top
/// passages. Thread-safe when the inner client and the retriever are.
/// </summary>
public sealed class RagChatClient : DelegatingChatClient
{
    private readonly IRagRetriever _retriever;

    public RagChatClient(IChatClient innerClient, IRagRetriever retriever, RagChatClientOptions? options = null) : base(innerClient)
    {
        _retriever = retriever ?? throw new ArgumentNullException(nameof(retriever));
        Options = options ?? new RagChatClientOptions();
        Options.Format.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(Options.TopK, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(Options.FallbackCitations);
    }

    public RagChatClientOptions Options { get; }

    public IRagRetriever Retriever => _retriever;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var (prompt, passages) = await PrepareAsync(messages, cancellationToken).ConfigureAwait(false);
        var response = await base.GetResponseAsync(prompt, options, cancellationToken).ConfigureAwait(false);
        var answer = response.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant);
        if (answer is null)
        {
            answer = new ChatMessage(ChatRole.Assistant, []);
            response.Messages.Add(answer);
        }
        Complete(answer.Contents, response.Text, passages);
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (prompt, passages) = await PrepareAsync(messages, cancellationToken).ConfigureAwait(false);
        yield return new ChatResponseUpdate(ChatRole.Assistant, [new RagContent(passages, null)]);
        var answer = new StringBuilder();
        bool completed = false;
        await foreach (var update in base.GetStreamingResponseAsync(prompt, options, cancellationToken).ConfigureAwait(false))
        {
            answer.Append(update.Text);
            if (update.FinishReason is not null && !completed)
            {
                Complete(update.Contents, answer.ToString(), passages);
                completed = true;
            }
            yield return update;
        }
        if (!completed)
        {
            var last = new ChatResponseUpdate(ChatRole.Assistant, []) { FinishReason = ChatFinishReason.Stop };
            Complete(last.Contents, answer.ToString(), passages);
            yield return last;
        }
    }

    /// <summary>The prompt sent to the inner client and the passages in it.</summary>
    /// <exception cref="ArgumentException">The conversation has no user message.</exception>
    public async Task<(List<ChatMessage> Prompt, IReadOnlyList<RetrievedPassage> Passages)> PrepareAsync(IEnumerable<ChatMessage> messages,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        int last = -1;
        for (int i = list.Count - 1; i >= 0 && last < 0; i--)
            if (list[i].Role == ChatRole.User) last = i;
        if (last < 0) throw new ArgumentException("RAG answers a user question, but the conversation has no user message", nameof(messages));
        string question = list[last].Text;
        var passages = await _retriever.RetrieveAsync(question, Options.TopK, cancellationToken).ConfigureAwait(false);

        var prompt = new List<ChatMessage>(list.Count + 1);
        if ((Options.SystemPrompt ?? Options.Format.SystemPrompt) is { } system && !list.Any(m => m.Role == ChatRole.System))
            prompt.Add(new ChatMessage(ChatRole.System, system));
        for (int i = 0; i < list.Count; i++)
            prompt.Add(i == last ? new ChatMessage(ChatRole.User, Options.Format.BuildInstruction(passages.Select(p => p.Text), question)) : list[i]);
        return (prompt, passages);
    }

    /// <summary>Adds the sources footer (when asked for) and the RagContent with the answer's citations.</summary>
    private void Complete(IList<AIContent> contents, string answer, IReadOnlyList<RetrievedPassage> passages)
    {
        var citations = CitationExtractor.Extract(answer, passages, Options.FallbackCitations, Options.Format);
        if (Options.SourcesFooter && CitationExtractor.Footer(Options.SourcesHeading, citations) is { Length: > 0 } footer)
            contents.Add(new TextContent(footer));
        contents.Add(new RagContent(passages, citations));
    }
}
