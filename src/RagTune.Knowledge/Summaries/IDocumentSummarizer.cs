// Writes the summary that represents a document on the document-level route (kb.json document_route.kind summary).
using RagTune.Knowledge.Documents;

namespace RagTune.Knowledge.Summaries;

public interface IDocumentSummarizer
{
    /// <summary>A short summary of the document's content: what it is about and the names and terms a search would use.</summary>
    Task<string> SummarizeAsync(Document document, CancellationToken cancellationToken);
}
