// A knowledge store that lives only in memory: the documents, chunks, BM25 postings and vectors of a knowledge base,
// without files. FileSystemKnowledgeStore keeps its loaded state in one and persists it on commit; on its own it serves
// a throw-away knowledge base (e.g. `ragtune raft generate --docs` indexing a folder for one run).
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

/// <remarks>
/// Commits are applied under one lock and are all or nothing for a valid batch; nothing survives the process. Reads may
/// run concurrently with each other and with a commit.
/// </remarks>
public sealed class InMemoryKnowledgeStore : IKnowledgeStore
{
    private readonly string _name;
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredDocument> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Chunk> _chunks = new(StringComparer.Ordinal);
    // Every chunk of each document, indexed levels or not: a search within documents is handed all of them, and the BM25
    // and vector indexes skip the ids they do not hold (the levels that are not indexed).
    private readonly ConcurrentDictionary<string, string[]> _chunkIdsByDocument = new(StringComparer.Ordinal);
    private readonly HashSet<int> _indexedLevels;
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly Bm25Index _bm25;
    private IVectorIndex? _vectors;
    // The document-level route (kb.json document_route), or null without one; ids are document ids.
    private readonly Bm25Index? _documentBm25;
    private readonly ConcurrentDictionary<string, string> _documentTexts = new(StringComparer.Ordinal);
    private IVectorIndex? _documentVectors;

    /// <summary>An empty in-memory knowledge store with these options (an auto analyzer is resolved now, as on disk).</summary>
    public InMemoryKnowledgeStore(KnowledgeBaseOptions? options = null)
        : this(Resolve(options ?? new KnowledgeBaseOptions()), bm25: null, documentBm25: null, "in-memory knowledge base")
    {
    }

    /// <param name="options">Validated options.</param>
    /// <param name="bm25">A loaded index, or null for a new empty one.</param>
    /// <param name="documentBm25">A loaded document-route index, or null for a new one (when options have a document route).</param>
    /// <param name="name">How errors name this knowledge base.</param>
    internal InMemoryKnowledgeStore(KnowledgeBaseOptions options, Bm25Index? bm25, Bm25Index? documentBm25, string name)
    {
        Options = options;
        _name = name;
        _bm25 = bm25 ?? new Bm25Index(options.Lexical);
        _indexedLevels = [.. options.ResolvedIndexedLevels];
        LexicalRoute = new Bm25Route(_bm25, MetadataOf, TextOf, chunkIdsOf: ChunkIdsOf);
        if (options.DocumentRoute is not null)
        {
            _documentBm25 = documentBm25 ?? new Bm25Index(options.Lexical);
            DocumentLexicalRoute = new Bm25Route(_documentBm25, DocumentMetadataOf, DocumentTextOf);
        }
    }

    /// <summary>Fixes auto analyzer settings (jieba with this dictionary, or bigrams) and validates the options.</summary>
    internal static KnowledgeBaseOptions Resolve(KnowledgeBaseOptions options, string source = "knowledge base options")
    {
        ArgumentNullException.ThrowIfNull(options);
        var resolved = options with { Lexical = options.Lexical with { Analyzer = TextAnalyzerFactory.Resolve(options.Lexical.Analyzer) } };
        resolved.Validate(source);
        return resolved;
    }

    public KnowledgeBaseOptions Options { get; }

    public ITextAnalyzer Analyzer => _bm25.Analyzer;

    public IDocumentScopedRoute LexicalRoute { get; }

    public ISearchRoute? DocumentLexicalRoute { get; }

    internal Bm25Index Bm25 => _bm25;

    internal IVectorIndex? Vectors => _vectors;

    internal Bm25Index? DocumentBm25 => _documentBm25;

    internal IVectorIndex? DocumentVectors => _documentVectors;

    internal int DocumentCount => _documents.Count;

    internal int ChunkCount => _chunks.Count;

    public Task<IReadOnlyList<StoredFile>> GetFilesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredFile>>(SortedFiles());

    public Task<IReadOnlyList<StoredDocument>> GetDocumentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredDocument>>(SortedDocuments());

    public Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default) =>
        Task.FromResult(_documents.GetValueOrDefault(documentId));

    public Task<IReadOnlyList<Chunk>> GetChunksAsync(IReadOnlyList<string> chunkIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        var found = new List<Chunk>(chunkIds.Count);
        foreach (var id in chunkIds)
            if (_chunks.TryGetValue(id, out var chunk)) found.Add(chunk);
        return Task.FromResult<IReadOnlyList<Chunk>>(found);
    }

    public async IAsyncEnumerable<Chunk> ReadChunksAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var documentId in _chunkIdsByDocument.Keys.Order(StringComparer.Ordinal).ToList())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!_chunkIdsByDocument.TryGetValue(documentId, out var ids)) continue;
            foreach (var chunk in SortedChunks(ids)) yield return chunk;
            await Task.Yield();
        }
    }

    public IDocumentScopedRoute? CreateDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder)
    {
        ArgumentNullException.ThrowIfNull(queryEmbedder);
        var vectors = _vectors;
        return vectors is null ? null : new ChunkTextRoute(new DenseRoute(queryEmbedder, vectors, "dense"), MetadataOf, TextOf, ChunkIdsOf);
    }

    public ISearchRoute? CreateDocumentDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder)
    {
        ArgumentNullException.ThrowIfNull(queryEmbedder);
        var vectors = _documentVectors;
        return vectors is null ? null : new ChunkTextRoute(new DenseRoute(queryEmbedder, vectors, "dense"), DocumentMetadataOf, DocumentTextOf, null);
    }

    public async Task CommitAsync(StoreBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Apply(batch);
        }
        finally
        {
            _commitGate.Release();
        }
    }

    /// <summary>Applies a batch to the in-memory state (the caller serialises writers).</summary>
    internal void Apply(StoreBatch batch)
    {
        foreach (var upsert in batch.Upserts)
            foreach (var chunk in upsert.Chunks)
                if (chunk.DocumentId != upsert.Document.Id)
                    throw new KnowledgeException($"store batch: chunk '{chunk.Id}' belongs to document '{chunk.DocumentId}'; expected '{upsert.Document.Id}'");
        batch.CheckRepresentations(Options, _name);
        foreach (var id in batch.RemovedDocuments) RemoveDocument(id);
        foreach (var upsert in batch.Upserts)
        {
            RemoveDocument(upsert.Document.Id);
            foreach (var chunk in upsert.Chunks)
            {
                _chunks[chunk.Id] = chunk;
                if (!_indexedLevels.Contains(chunk.Level)) continue;
                _bm25.Add(chunk.Id, chunk.Text);
                if (upsert.Vectors.TryGetValue(chunk.Id, out var vector))
                    (_vectors = VectorsFor(_vectors, vector.Length, "an embedding")).Upsert(chunk.Id, vector, chunk.Metadata);
            }
            _chunkIdsByDocument[upsert.Document.Id] = upsert.Chunks.Select(c => c.Id).ToArray();
            if (upsert.Representation is { } representation)
            {
                _documentBm25!.Add(upsert.Document.Id, representation.Text);
                _documentTexts[upsert.Document.Id] = representation.Text;
                if (representation.Vector is { } vector)
                    (_documentVectors = VectorsFor(_documentVectors, vector.Length, "a document-route embedding")).Upsert(upsert.Document.Id, vector);
            }
            _documents[upsert.Document.Id] = upsert.Document;
        }
        foreach (var (root, relativePath) in batch.RemovedFiles) _files.TryRemove(FileKey(root, relativePath), out _);
        foreach (var file in batch.Files) _files[FileKey(file.Root, file.RelativePath)] = file;
    }

    /// <summary>Puts loaded state back (the files, documents and chunks of a committed generation, and its vectors).</summary>
    internal void Restore(IEnumerable<StoredFile> files, IEnumerable<StoredDocument> documents, IEnumerable<Chunk> chunks, IVectorIndex? vectors,
        IVectorIndex? documentVectors, IReadOnlyDictionary<string, string>? documentTexts)
    {
        foreach (var file in files) _files[FileKey(file.Root, file.RelativePath)] = file;
        foreach (var document in documents) _documents[document.Id] = document;
        var byDocument = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var chunk in chunks)
        {
            _chunks[chunk.Id] = chunk;
            if (!byDocument.TryGetValue(chunk.DocumentId, out var ids)) byDocument[chunk.DocumentId] = ids = [];
            ids.Add(chunk.Id);
        }
        foreach (var (doc, ids) in byDocument) _chunkIdsByDocument[doc] = [.. ids];
        _vectors = vectors;
        _documentVectors = documentVectors;
        foreach (var (id, text) in documentTexts ?? new Dictionary<string, string>()) _documentTexts[id] = text;
    }

    internal List<StoredFile> SortedFiles() =>
        _files.Values.OrderBy(f => f.Root, StringComparer.Ordinal).ThenBy(f => f.RelativePath, StringComparer.Ordinal).ToList();

    internal List<StoredDocument> SortedDocuments() => _documents.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList();

    /// <summary>Every chunk in store order (documents by id, then level, then position), read without yielding.</summary>
    internal IEnumerable<Chunk> AllChunks()
    {
        foreach (var documentId in _chunkIdsByDocument.Keys.Order(StringComparer.Ordinal))
            if (_chunkIdsByDocument.TryGetValue(documentId, out var ids))
                foreach (var chunk in SortedChunks(ids)) yield return chunk;
    }

    private IEnumerable<Chunk> SortedChunks(string[] ids) =>
        ids.Select(id => _chunks.GetValueOrDefault(id)).OfType<Chunk>().OrderBy(c => c.Level).ThenBy(c => c.Index);

    private void RemoveDocument(string documentId)
    {
        if (_chunkIdsByDocument.TryRemove(documentId, out var ids))
            foreach (var id in ids)
            {
                _chunks.TryRemove(id, out _);
                _bm25.Remove(id);
                _vectors?.Remove(id);
            }
        _documentBm25?.Remove(documentId);
        _documentTexts.TryRemove(documentId, out _);
        _documentVectors?.Remove(documentId);
        _documents.TryRemove(documentId, out _);
    }

    /// <summary><paramref name="existing"/>, or a new index of kb.json's kind when there is none yet.</summary>
    private IVectorIndex VectorsFor(IVectorIndex? existing, int dimensions, string what)
    {
        if (existing is not null)
        {
            if (existing.Dimensions != dimensions)
                throw new KnowledgeException($"{_name}: {what} has {dimensions} dimensions; expected the index's {existing.Dimensions} (was the embedding model changed? create a new knowledge base for a new model)");
            return existing;
        }
        var settings = Options.VectorIndex;
        return settings.Kind == VectorIndexKind.Hnsw
            ? new HnswIndex(dimensions, settings.Metric, settings.Hnsw)
            : new ExactVectorIndex(dimensions, settings.Metric);
    }

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var perLevel = new int[Options.Chunking.Levels.Count];
        foreach (var chunk in _chunks.Values) perLevel[chunk.Level]++;
        return Task.FromResult(new StoreStats
        {
            Files = _files.Values.Count(f => f.DocumentIds.Count > 0),
            FilesWithoutDocuments = _files.Values.Count(f => f.DocumentIds.Count == 0),
            Documents = _documents.Count,
            ChunksPerLevel = perLevel,
            LexicalDocuments = _bm25.Count,
            LexicalTerms = _bm25.TermCount,
            Vectors = _vectors?.Count ?? 0,
            VectorDimensions = _vectors?.Dimensions ?? 0,
            RoutedDocuments = _documentBm25?.Count ?? 0,
            RoutedDocumentVectors = _documentVectors?.Count ?? 0,
        });
    }

    private IReadOnlyDictionary<string, string>? MetadataOf(string chunkId) => _chunks.TryGetValue(chunkId, out var c) ? c.Metadata : null;

    private IReadOnlyDictionary<string, string>? DocumentMetadataOf(string documentId) =>
        _documents.TryGetValue(documentId, out var d) ? d.Metadata : null;

    private string? DocumentTextOf(string documentId) => _documentTexts.GetValueOrDefault(documentId);

    /// <summary>The document route's texts, by document id (persisted with the catalog).</summary>
    internal SortedDictionary<string, string> DocumentTexts() => new(_documentTexts, StringComparer.Ordinal);

    private IReadOnlyList<string> ChunkIdsOf(string documentId) =>
        _chunkIdsByDocument.TryGetValue(documentId, out var ids) ? ids : [];

    private string? TextOf(string chunkId) => _chunks.TryGetValue(chunkId, out var c) ? c.Text : null;

    private static string FileKey(string root, string relativePath) => root + "\n" + relativePath;

    public ValueTask DisposeAsync()
    {
        _commitGate.Dispose();
        return ValueTask.CompletedTask;
    }
}
