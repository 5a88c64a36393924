// Chunk source over a knowledge base: the chunks of one hierarchy level, with their document's id and title, so that
// RAFT generates from exactly what retrieval will later return.
using RagTune.Knowledge;
using RagTune.Knowledge.Store;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Knowledge;

/// <summary>
/// Reads every chunk of <see cref="Level"/> from a knowledge base, in the store's order (documents by id, chunks by
/// position). Level null = the finest level the knowledge base indexes (the chunks search returns).
/// Chunk id = the knowledge base's chunk id, document id = its document id, title = the document's title.
/// </summary>
public sealed class KnowledgeBaseChunkSource(KnowledgeBase knowledgeBase, int? level = null) : IChunkSource
{
    private readonly KnowledgeBase _kb = knowledgeBase ?? throw new ArgumentNullException(nameof(knowledgeBase));

    /// <summary>The level read: the one asked for, else the finest indexed level.</summary>
    public int Level => level ?? _kb.Options.ResolvedIndexedLevels.Max();

    public async Task<IReadOnlyList<RaftChunk>> LoadChunksAsync(CancellationToken cancellationToken = default)
    {
        int levels = _kb.Options.Chunking.Levels.Count;
        if (Level < 0 || Level >= levels)
            throw new RaftException($"knowledge base chunk level {Level} does not exist: expected 0 (coarsest) to {levels - 1} (finest)");
        try
        {
            var documents = await _kb.Store.GetDocumentsAsync(cancellationToken).ConfigureAwait(false);
            var titles = documents.ToDictionary(d => d.Id, d => d.Title, StringComparer.Ordinal);
            var chunks = new List<RaftChunk>();
            await foreach (var c in _kb.Store.ReadChunksAsync(cancellationToken).ConfigureAwait(false))
            {
                if (c.Level != Level || string.IsNullOrWhiteSpace(c.Text))
                    continue;
                var title = titles.GetValueOrDefault(c.DocumentId);
                chunks.Add(new RaftChunk(c.Id, c.DocumentId, c.Text, string.IsNullOrWhiteSpace(title) ? null : title));
            }
            if (chunks.Count == 0)
                throw new RaftException($"the knowledge base holds no chunks at level {Level} ({documents.Count} documents): add documents with `ragtune kb add` first");
            return chunks;
        }
        catch (KnowledgeException e)
        {
            throw new RaftException($"reading the knowledge base: {e.Message}", e);
        }
    }
}
