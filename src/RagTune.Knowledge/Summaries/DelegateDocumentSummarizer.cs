// An IDocumentSummarizer from a function, for callers that summarise some other way (a local model, a fixed table).
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Summaries;

public sealed class DelegateDocumentSummarizer(Func<Document, CancellationToken, Task<string>> summarize) : IDocumentSummarizer
{
    private readonly Func<Document, CancellationToken, Task<string>> _summarize = summarize ?? throw new ArgumentNullException(nameof(summarize));

    public Task<string> SummarizeAsync(Document document, CancellationToken cancellationToken) => _summarize(document, cancellationToken);
}
