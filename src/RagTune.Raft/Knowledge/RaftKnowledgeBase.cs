// The in-memory knowledge bases behind `--docs` and `--chunks`: a folder read by the knowledge base's own loaders and
// chunker (every format `kb add` reads), or ready-made chunks, indexed with BM25 so hard negatives come from the same
// search as with `--kb`.
using RagTune.Knowledge;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Text;
using RagTune.Raft.Sources;

namespace RagTune.Raft.Knowledge;

/// <summary>Builds knowledge bases that live only in memory for one RAFT run; dispose them when done.</summary>
public static class RaftKnowledgeBase
{
    /// <summary>The smallest chunk size accepted for a documents folder.</summary>
    public const int MinChunkChars = 50;

    /// <summary>
    /// Reads every document under <paramref name="folder"/> that `ragtune kb add` reads (txt, md, html, docx, pdf, json;
    /// hidden files and files of other types are skipped) and chunks it with the knowledge base's sentence-packing chunker
    /// into one level of chunks of at most <paramref name="maxChars"/> characters, without overlap. Document id = path
    /// relative to the folder with '/' separators. A file that cannot be read is an error naming it.
    /// </summary>
    public static async Task<KnowledgeBase> FromFolderAsync(string folder, int maxChars = 1500, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (maxChars < MinChunkChars)
            throw new RaftException($"chunk size {maxChars} is too small: expected at least {MinChunkChars} characters");
        if (!Directory.Exists(folder))
            throw new RaftException($"documents folder '{folder}' does not exist: expected a folder of documents (.txt, .md, .html, .docx, .pdf, .json)");
        var options = new KnowledgeBaseOptions { Chunking = new HierarchicalChunkingOptions { Levels = [maxChars], OverlapTokens = 0 } };
        var kb = new KnowledgeBase(new InMemoryKnowledgeStore(options), new KnowledgeBaseOpenOptions { TokenCounter = CharacterCounter.Instance });
        try
        {
            var summary = await kb.AddFolderAsync(folder, progress: null, cancellationToken).ConfigureAwait(false);
            if (summary.Failed.Count > 0)
                throw new RaftException($"documents folder '{folder}': {summary.Failed.Count} file(s) could not be read: "
                    + string.Join("; ", summary.Failed.Select(f => f.Reason)));
            if (summary.DocumentsIndexed == 0)
                throw new RaftException($"documents folder '{folder}' holds no documents: expected .txt, .md, .html, .docx, .pdf or .json files");
            if (summary.ChunksWritten == 0)
                throw new RaftException($"documents folder '{folder}' holds only empty documents");
            return kb;
        }
        catch (KnowledgeException e)
        {
            await kb.DisposeAsync().ConfigureAwait(false);
            throw new RaftException($"documents folder '{folder}': {e.Message}", e);
        }
        catch
        {
            await kb.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Indexes ready-made chunks (e.g. a --chunks JSONL) as they are: one document per <see cref="RaftChunk.DocumentId"/>,
    /// its chunks in the given order, chunk ids and texts unchanged, so search hits map back to the same chunks.
    /// </summary>
    public static async Task<KnowledgeBase> FromChunksAsync(IReadOnlyList<RaftChunk> chunks, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        // The chunks are given, not made: one level without a size limit.
        var options = new KnowledgeBaseOptions { Chunking = new HierarchicalChunkingOptions { Levels = [int.MaxValue], OverlapTokens = 0 } };
        var store = new InMemoryKnowledgeStore(options);
        var upserts = new List<DocumentUpsert>();
        foreach (var document in chunks.GroupBy(c => c.DocumentId, StringComparer.Ordinal))
        {
            var stored = document.Select((c, i) => new Chunk
            {
                Id = c.Id,
                DocumentId = c.DocumentId,
                Text = c.Text,
                Index = i,
                EndChar = c.Text.Length,
                TokenCount = c.Text.Length,
            }).ToList();
            var title = document.Select(c => c.Title).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t));
            upserts.Add(new DocumentUpsert(new StoredDocument
            {
                Id = document.Key,
                SourcePath = document.Key,
                RelativePath = document.Key,
                Title = title ?? "",
                ContentHash = "",
                TextLength = stored.Sum(c => c.Text.Length),
                ChunksPerLevel = [stored.Count],
            }, stored, new Dictionary<string, float[]>()));
        }
        await store.CommitAsync(new StoreBatch { Upserts = upserts }, cancellationToken).ConfigureAwait(false);
        return new KnowledgeBase(store);
    }
}
