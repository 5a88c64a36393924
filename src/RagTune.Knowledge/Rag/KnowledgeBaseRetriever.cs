// IRagRetriever over a KnowledgeBase: its hybrid search (BM25 + dense when the KB embeds), reranked when configured,
// document-first (hierarchical) when the search options say so.
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Rag;

/// <param name="searchOptions">The search every retrieval runs (routes, fusion, hierarchical, …); K and Rerank are set per call.</param>
public sealed class KnowledgeBaseRetriever(KnowledgeBase knowledgeBase, bool rerank = false, KnowledgeSearchOptions? searchOptions = null) : IRagRetriever
{
    private readonly KnowledgeSearchOptions _searchOptions = searchOptions ?? new KnowledgeSearchOptions();

    public KnowledgeBase KnowledgeBase { get; } = knowledgeBase;

    public async Task<IReadOnlyList<RetrievedPassage>> RetrieveAsync(string query, int k, CancellationToken cancellationToken)
    {
        var hits = await KnowledgeBase.SearchAsync(query, _searchOptions with { K = k, Rerank = rerank }, cancellationToken).ConfigureAwait(false);
        return hits.Select(ToPassage).ToList();
    }

    public static RetrievedPassage ToPassage(KnowledgeSearchResult hit) => new()
    {
        Index = hit.Rank,
        ChunkId = hit.ChunkId,
        DocumentId = hit.DocumentId,
        Title = hit.Title,
        Source = hit.RelativePath,
        HeadingPath = hit.HeadingPath,
        Text = hit.Text,
        Score = hit.Score,
        StartChar = hit.StartChar,
        EndChar = hit.EndChar,
    };
}
