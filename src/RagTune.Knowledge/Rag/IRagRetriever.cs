// Where the RAG pipeline gets its passages; KnowledgeBaseRetriever is the real one.
namespace RagTune.Knowledge.Rag;

public interface IRagRetriever
{
    Task<IReadOnlyList<RetrievedPassage>> RetrieveAsync(string query, int k, CancellationToken cancellationToken);
}
