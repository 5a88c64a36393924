// Where a knowledge base keeps its files, documents, chunks, BM25 postings and vectors. The embedded default is
// FileSystemKnowledgeStore (a directory); RagTune.Knowledge.Postgres implements the same contract over Npgsql.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

/// <remarks>
/// Contract: <see cref="CommitAsync"/> is atomic and durable — after a crash at any point a reopened store shows either
/// the state before the batch or after it, never a mix. Reads may run concurrently with each other and with a commit;
/// commits are serialised by the caller (<see cref="KnowledgeBase"/> holds one writer at a time). The lexical route
/// must rank with Okapi BM25 over <see cref="Analyzer"/>'s terms so that stores give the same ranking for the same text.
/// </remarks>
public interface IKnowledgeStore : IAsyncDisposable
{
    /// <summary>The options the store was created with (kb.json for the embedded store).</summary>
    KnowledgeBaseOptions Options { get; }

    /// <summary>The analyzer of the lexical index, also used to find matched terms for snippets.</summary>
    ITextAnalyzer Analyzer { get; }

    Task<IReadOnlyList<StoredFile>> GetFilesAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StoredDocument>> GetDocumentsAsync(CancellationToken cancellationToken = default);

    Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default);

    /// <summary>The chunks with these ids that exist, in the order asked.</summary>
    Task<IReadOnlyList<Chunk>> GetChunksAsync(IReadOnlyList<string> chunkIds, CancellationToken cancellationToken = default);

    /// <summary>Every chunk, documents in id order, each document's chunks level by level in position order.</summary>
    IAsyncEnumerable<Chunk> ReadChunksAsync(CancellationToken cancellationToken = default);

    Task CommitAsync(StoreBatch batch, CancellationToken cancellationToken = default);

    /// <summary>The BM25 route over the indexed chunks, named "bm25"; hits carry the chunk's metadata and text. It can
    /// search within documents (hierarchical search).</summary>
    IDocumentScopedRoute LexicalRoute { get; }

    /// <summary>The dense route over the stored vectors, named "dense", or null when nothing has been embedded. It can
    /// search within documents.</summary>
    IDocumentScopedRoute? CreateDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder);

    /// <summary>The BM25 route over the documents' representations (kb.json document_route), named "bm25"; hit ids are
    /// document ids. Null when the knowledge base has no document route.</summary>
    ISearchRoute? DocumentLexicalRoute { get; }

    /// <summary>The dense route over the documents' representation vectors, named "dense"; hit ids are document ids.
    /// Null when there is no document route or no document vector yet.</summary>
    ISearchRoute? CreateDocumentDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder);

    Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default);
}
