// Summaries from a teacher chat model (any IChatClient: the RAFT teachers' OpenAI-compatible client, a local model), in
// the document's language, reasoning blocks stripped.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Summaries;

public sealed class ChatClientDocumentSummarizer : IDocumentSummarizer
{
    private const string EnglishSystem =
        "You write the index entry of a document for a search engine. In at most five sentences, say what the document is " +
        "about and name its main subjects, entities and terms. Use only the document. Reply with the summary only.";
    private const string ChineseSystem =
        "你为搜索引擎撰写文档的索引摘要。用不超过五句话说明文档讲什么，并写出其主要主题、实体和术语。只依据文档内容。只回复摘要。";

    private readonly IChatClient _chat;
    private readonly ChatClientDocumentSummarizerOptions _options;

    public ChatClientDocumentSummarizer(IChatClient chatClient, ChatClientDocumentSummarizerOptions? options = null)
    {
        _chat = chatClient ?? throw new ArgumentNullException(nameof(chatClient));
        _options = options ?? new ChatClientDocumentSummarizerOptions();
        if (_options.MaxDocumentCharacters < 1)
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxDocumentCharacters, "MaxDocumentCharacters: expected ≥ 1");
    }

    public async Task<string> SummarizeAsync(Document document, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        string text = document.Text.Length > _options.MaxDocumentCharacters ? document.Text[.._options.MaxDocumentCharacters] : document.Text;
        bool chinese = document.Language.StartsWith("zh", StringComparison.OrdinalIgnoreCase);
        ChatMessage[] messages =
        [
            new(ChatRole.System, chinese ? ChineseSystem : EnglishSystem),
            new(ChatRole.User, (chinese ? "标题：" : "Title: ") + document.Title + "\n\n" + text),
        ];
        var chatOptions = _options.ChatOptions?.Clone() ?? new ChatOptions { Temperature = 0f };
        var response = await _chat.GetResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false);
        string summary = ModelReply.StripReasoning(response.Text).Trim();
        if (summary.Length == 0)
            throw new KnowledgeException($"document summary: the teacher's reply for document '{document.Id}' is empty; expected a summary of the document");
        return summary;
    }
}

public sealed record ChatClientDocumentSummarizerOptions
{
    /// <summary>The document's opening that the teacher reads (long documents are cut here).</summary>
    public int MaxDocumentCharacters { get; init; } = 12_000;

    /// <summary>Chat options per request (cloned); null: temperature 0.</summary>
    public ChatOptions? ChatOptions { get; init; }
}
