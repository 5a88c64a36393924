// Hard negatives from a knowledge base's own retriever (BM25, dense or both fused): the chunks of other documents that
// search ranks highest for the question or the oracle chunk — the "similar but wrong" passages a RAG system will see.
using RagTune.Knowledge;
using RagTune.Knowledge.Store;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Knowledge;

/// <summary>
/// Runs a knowledge base search and keeps the best hits outside the oracle's document. Search returns chunks of the
/// indexed level; results are deterministic for a fixed knowledge base (the retrievers break ties by chunk order).
/// </summary>
public sealed class KnowledgeBaseHardNegativeProvider(KnowledgeBase knowledgeBase, KnowledgeBaseHardNegativeOptions? options = null) : IHardNegativeProvider
{
    private readonly KnowledgeBase _kb = knowledgeBase ?? throw new ArgumentNullException(nameof(knowledgeBase));
    private readonly KnowledgeBaseHardNegativeOptions _options = options ?? new KnowledgeBaseHardNegativeOptions();

    public async Task<IReadOnlyList<RaftChunk>> FindSimilarAsync(string query, RaftChunk oracle, int count, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(oracle);
        if (count <= 0)
            return [];
        var text = _options.Query switch
        {
            HardNegativeQuery.Question => query,
            HardNegativeQuery.ChunkText => oracle.Text,
            _ => query + "\n" + oracle.Text,
        };
        if (text.Length > _options.MaxQueryChars)
            text = text[.._options.MaxQueryChars];
        // Hits from the oracle's own document are dropped afterwards, so ask for more; widen once more if they crowd the list.
        var k = count * 2 + 8;
        while (true)
        {
            IReadOnlyList<KnowledgeSearchResult> hits;
            try
            {
                hits = await _kb.SearchAsync(text, new KnowledgeSearchOptions { K = k, Routes = _options.Routes }, cancellationToken).ConfigureAwait(false);
            }
            catch (KnowledgeException e)
            {
                throw new RaftException($"hard negatives from the knowledge base: {e.Message}", e);
            }
            var kept = hits.Where(h => h.DocumentId != oracle.DocumentId && h.ChunkId != oracle.Id)
                .Take(count)
                .Select(h => new RaftChunk(h.ChunkId, h.DocumentId, h.Text, string.IsNullOrWhiteSpace(h.Title) ? null : h.Title))
                .ToList();
            if (kept.Count == count || hits.Count < k)
                return kept;
            k *= 4;
        }
    }
}
