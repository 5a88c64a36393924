// The embedded store: a knowledge base is a directory, loaded into memory on open, rewritten as a new generation on every
// commit, with manifest.json swapped last as the commit point — a kill at any moment leaves the previous generation intact.
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using RagTune.Engine.IO;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store;

/// <remarks>
/// Layout: <c>kb.json</c> (options, written once), <c>manifest.json</c> (the committed generation), <c>gen-NNNNNNNN/</c>
/// holding <c>catalog.json</c> (files, documents), <c>chunks.jsonl</c>, <c>bm25/</c> and <c>vectors.bin</c>, and
/// <c>write.lock</c>. A commit writes the next generation's folder completely (every file flushed to disk), then renames
/// a new manifest over the old one, then deletes older generations. Opening reads whatever generation the manifest
/// names; folders of uncommitted generations and temporary files (what a kill leaves) are deleted by the next writer.
/// Every commit rewrites the whole store, so <see cref="KnowledgeBase"/> batches commits by time to keep that a small
/// fraction of ingestion work.
/// </remarks>
public sealed class FileSystemKnowledgeStore : IKnowledgeStore
{
    public const string OptionsFileName = "kb.json";
    public const string ManifestFileName = "manifest.json";
    private const string LockFileName = "write.lock";
    private const string Format = "ragtune-kb";
    private const int Version = 1;

    private sealed record Manifest(string Format, int Version, long Generation, string Directory, int Documents, int Chunks);

    private sealed record Catalog(IReadOnlyList<StoredFile> Files, IReadOnlyList<StoredDocument> Documents);

    private readonly string _directory;
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredDocument> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Chunk> _chunks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string[]> _chunkIdsByDocument = new(StringComparer.Ordinal);
    private readonly HashSet<int> _indexedLevels;
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly Bm25Index _bm25;
    private IVectorIndex? _vectors;
    private long _generation;

    private FileSystemKnowledgeStore(string directory, KnowledgeBaseOptions options, Bm25Index bm25)
    {
        _directory = directory;
        Options = options;
        _bm25 = bm25;
        _indexedLevels = [.. options.ResolvedIndexedLevels];
        LexicalRoute = new Bm25Route(_bm25, MetadataOf, TextOf);
    }

    public KnowledgeBaseOptions Options { get; }

    public ITextAnalyzer Analyzer => _bm25.Analyzer;

    public ISearchRoute LexicalRoute { get; }

    public string Directory => _directory;

    public long Generation => Interlocked.Read(ref _generation);

    /// <summary>True when <paramref name="directory"/> holds a knowledge base (its kb.json).</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, OptionsFileName));

    /// <summary>Creates an empty knowledge base in <paramref name="directory"/> (created if needed; must not hold one).</summary>
    public static FileSystemKnowledgeStore Create(string directory, KnowledgeBaseOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(options);
        string full = Path.GetFullPath(directory);
        if (Exists(full))
            throw new KnowledgeException($"cannot create a knowledge base in '{directory}': it already holds one ({OptionsFileName}); expected a new or empty folder");
        if (System.IO.Directory.Exists(full) && System.IO.Directory.EnumerateFileSystemEntries(full).Any())
            throw new KnowledgeException($"cannot create a knowledge base in '{directory}': the folder is not empty; expected a new or empty folder");
        // Auto analyzer settings are fixed now (jieba with this dictionary, or bigrams) so queries on any machine match.
        var resolved = options with { Lexical = options.Lexical with { Analyzer = TextAnalyzerFactory.Resolve(options.Lexical.Analyzer) } };
        resolved.Validate(OptionsFileName);
        var bm25 = new Bm25Index(resolved.Lexical);
        System.IO.Directory.CreateDirectory(full);
        AtomicFile.Write(Path.Combine(full, OptionsFileName), s => JsonSerializer.Serialize(s, resolved, StoreJson.Indented));
        return new FileSystemKnowledgeStore(full, resolved, bm25);
    }

    /// <summary>Opens the committed state of the knowledge base in <paramref name="directory"/>.</summary>
    public static FileSystemKnowledgeStore Open(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        string full = Path.GetFullPath(directory);
        if (!Exists(full))
            throw new KnowledgeException($"'{directory}' is not a knowledge base: {OptionsFileName} not found; expected a folder made by 'ragtune kb create' or KnowledgeBase.CreateAsync");
        string optionsPath = Path.Combine(full, OptionsFileName);
        var options = StoreJson.Read<KnowledgeBaseOptions>(optionsPath, "knowledge base options file");
        options.Validate(optionsPath);
        // A writer may commit (and delete the generation just named) while this reads: read the manifest again and retry.
        for (int attempt = 0; ; attempt++)
        {
            long before = ReadGeneration(full);
            try
            {
                return Load(full, options);
            }
            catch (KnowledgeException) when (attempt < 3 && ReadGeneration(full) != before)
            {
            }
        }
    }

    private static long ReadGeneration(string full)
    {
        string manifestPath = Path.Combine(full, ManifestFileName);
        return File.Exists(manifestPath) ? StoreJson.Read<Manifest>(manifestPath, "knowledge base manifest").Generation : 0;
    }

    private static FileSystemKnowledgeStore Load(string full, KnowledgeBaseOptions options)
    {
        string manifestPath = Path.Combine(full, ManifestFileName);
        if (!File.Exists(manifestPath))
            return new FileSystemKnowledgeStore(full, options, new Bm25Index(options.Lexical));
        var manifest = StoreJson.Read<Manifest>(manifestPath, "knowledge base manifest");
        if (manifest.Format != Format || manifest.Version != Version)
            throw new KnowledgeException($"{manifestPath}: format '{manifest.Format}' version {manifest.Version}; expected '{Format}' version {Version}");
        string generationDir = Path.Combine(full, Path.GetFileName(manifest.Directory));
        if (!System.IO.Directory.Exists(generationDir))
            throw new KnowledgeException($"{manifestPath}: names generation folder '{manifest.Directory}', which is missing; expected it beside the manifest (was it deleted by hand?)");

        var bm25 = Bm25Index.Load(Path.Combine(generationDir, "bm25"));
        var store = new FileSystemKnowledgeStore(full, options, bm25) { _generation = manifest.Generation };
        var catalog = StoreJson.Read<Catalog>(Path.Combine(generationDir, "catalog.json"), "knowledge base catalog");
        foreach (var file in catalog.Files) store._files[FileKey(file.Root, file.RelativePath)] = file;
        foreach (var document in catalog.Documents) store._documents[document.Id] = document;
        string chunksPath = Path.Combine(generationDir, "chunks.jsonl");
        var byDocument = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var line in File.ReadLines(chunksPath))
        {
            lineNumber++;
            Chunk chunk;
            try
            {
                chunk = JsonSerializer.Deserialize<Chunk>(line, StoreJson.Compact) ?? throw new JsonException("null");
            }
            catch (JsonException e)
            {
                throw new KnowledgeException($"{chunksPath} line {lineNumber}: invalid chunk ({e.Message}); expected one JSON chunk per line", e);
            }
            store._chunks[chunk.Id] = chunk;
            if (!byDocument.TryGetValue(chunk.DocumentId, out var ids)) byDocument[chunk.DocumentId] = ids = [];
            ids.Add(chunk.Id);
        }
        foreach (var (doc, ids) in byDocument) store._chunkIdsByDocument[doc] = [.. ids];
        if (store._documents.Count != manifest.Documents || store._chunks.Count != manifest.Chunks)
            throw new KnowledgeException($"{generationDir}: found {store._documents.Count} documents and {store._chunks.Count} chunks; expected the manifest's {manifest.Documents} and {manifest.Chunks}");
        string vectorsPath = Path.Combine(generationDir, "vectors.bin");
        if (File.Exists(vectorsPath)) store._vectors = IVectorIndex.Load(vectorsPath);
        return store;
    }

    public Task<IReadOnlyList<StoredFile>> GetFilesAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredFile>>(_files.Values.OrderBy(f => f.Root, StringComparer.Ordinal)
            .ThenBy(f => f.RelativePath, StringComparer.Ordinal).ToList());

    public Task<IReadOnlyList<StoredDocument>> GetDocumentsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<StoredDocument>>(_documents.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList());

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

    private IEnumerable<Chunk> SortedChunks(string[] ids) =>
        ids.Select(id => _chunks.GetValueOrDefault(id)).OfType<Chunk>().OrderBy(c => c.Level).ThenBy(c => c.Index);

    public ISearchRoute? CreateDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder)
    {
        ArgumentNullException.ThrowIfNull(queryEmbedder);
        var vectors = _vectors;
        return vectors is null ? null : new ChunkTextRoute(new DenseRoute(queryEmbedder, vectors, "dense"), MetadataOf, TextOf);
    }

    public async Task CommitAsync(StoreBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var writeLock = AcquireWriteLock();
            CheckNotChangedOnDisk();
            // Past this point the batch is applied whatever the token says: a half-applied batch would be worse.
            Apply(batch);
            Persist();
        }
        finally
        {
            _commitGate.Release();
        }
    }

    private void Apply(StoreBatch batch)
    {
        foreach (var id in batch.RemovedDocuments) RemoveDocument(id);
        foreach (var upsert in batch.Upserts)
        {
            RemoveDocument(upsert.Document.Id);
            foreach (var chunk in upsert.Chunks)
            {
                if (chunk.DocumentId != upsert.Document.Id)
                    throw new KnowledgeException($"store batch: chunk '{chunk.Id}' belongs to document '{chunk.DocumentId}'; expected '{upsert.Document.Id}'");
                _chunks[chunk.Id] = chunk;
                if (!_indexedLevels.Contains(chunk.Level)) continue;
                _bm25.Add(chunk.Id, chunk.Text);
                if (upsert.Vectors.TryGetValue(chunk.Id, out var vector)) VectorsFor(vector.Length).Upsert(chunk.Id, vector, chunk.Metadata);
            }
            _chunkIdsByDocument[upsert.Document.Id] = upsert.Chunks.Select(c => c.Id).ToArray();
            _documents[upsert.Document.Id] = upsert.Document;
        }
        foreach (var (root, relativePath) in batch.RemovedFiles) _files.TryRemove(FileKey(root, relativePath), out _);
        foreach (var file in batch.Files) _files[FileKey(file.Root, file.RelativePath)] = file;
    }

    private void RemoveDocument(string documentId)
    {
        if (_chunkIdsByDocument.TryRemove(documentId, out var ids))
            foreach (var id in ids)
            {
                _chunks.TryRemove(id, out _);
                _bm25.Remove(id);
                _vectors?.Remove(id);
            }
        _documents.TryRemove(documentId, out _);
    }

    private IVectorIndex VectorsFor(int dimensions)
    {
        if (_vectors is { } existing)
        {
            if (existing.Dimensions != dimensions)
                throw new KnowledgeException($"knowledge base '{_directory}': an embedding has {dimensions} dimensions; expected the index's {existing.Dimensions} (was the embedding model changed? create a new knowledge base for a new model)");
            return existing;
        }
        var settings = Options.VectorIndex;
        _vectors = settings.Kind == VectorIndexKind.Hnsw
            ? new HnswIndex(dimensions, settings.Metric, settings.Hnsw)
            : new ExactVectorIndex(dimensions, settings.Metric);
        return _vectors;
    }

    private void Persist()
    {
        long generation = _generation + 1;
        string name = $"gen-{generation:D8}";
        string generationDir = Path.Combine(_directory, name);
        if (System.IO.Directory.Exists(generationDir)) System.IO.Directory.Delete(generationDir, recursive: true);
        System.IO.Directory.CreateDirectory(generationDir);

        var catalog = new Catalog(_files.Values.OrderBy(f => f.Root, StringComparer.Ordinal).ThenBy(f => f.RelativePath, StringComparer.Ordinal).ToList(),
            _documents.Values.OrderBy(d => d.Id, StringComparer.Ordinal).ToList());
        AtomicFile.Write(Path.Combine(generationDir, "catalog.json"), s => JsonSerializer.Serialize(s, catalog, StoreJson.Compact));
        int chunkCount = 0;
        AtomicFile.Write(Path.Combine(generationDir, "chunks.jsonl"), s =>
        {
            using var writer = new StreamWriter(s, leaveOpen: true);
            foreach (var documentId in _chunkIdsByDocument.Keys.Order(StringComparer.Ordinal))
                foreach (var chunk in SortedChunks(_chunkIdsByDocument[documentId]))
                {
                    writer.WriteLine(JsonSerializer.Serialize(chunk, StoreJson.Compact));
                    chunkCount++;
                }
        });
        _bm25.Save(Path.Combine(generationDir, "bm25"));
        // Replaced and removed HNSW nodes stay in the graph as tombstones; rebuild once they are a quarter of it.
        if (_vectors is HnswIndex hnsw && hnsw.TombstoneCount * 4 > hnsw.Count) hnsw.Compact();
        _vectors?.Save(Path.Combine(generationDir, "vectors.bin"));
        TestHooks.BeforeManifestSwap.Value?.Invoke(generationDir);

        var manifest = new Manifest(Format, Version, generation, name, _documents.Count, chunkCount);
        AtomicFile.Write(Path.Combine(_directory, ManifestFileName), s => JsonSerializer.Serialize(s, manifest, StoreJson.Indented));
        Interlocked.Exchange(ref _generation, generation);
        DeleteStaleGenerations();
    }

    /// <summary>Deletes generation folders other than the committed one and temporary files: what an interrupted commit leaves.</summary>
    private void DeleteStaleGenerations()
    {
        string current = $"gen-{_generation:D8}";
        foreach (var dir in System.IO.Directory.EnumerateDirectories(_directory, "gen-*"))
            if (Path.GetFileName(dir) != current)
                System.IO.Directory.Delete(dir, recursive: true);
        foreach (var tmp in System.IO.Directory.EnumerateFiles(_directory, "*.tmp"))
            File.Delete(tmp);
    }

    /// <summary>Removes leftovers of an interrupted commit when no other process is writing; returns whether it could.</summary>
    public bool Recover()
    {
        FileStream? writeLock = TryAcquireWriteLock();
        if (writeLock is null) return false;
        using (writeLock)
        {
            // A commit landed since this store was loaded: its folder is not stale, and this view is; leave it all alone.
            if (ReadGeneration(_directory) != _generation) return false;
            DeleteStaleGenerations();
        }
        return true;
    }

    private void CheckNotChangedOnDisk()
    {
        long onDisk = ReadGeneration(_directory);
        if (onDisk != _generation)
            throw new KnowledgeException($"knowledge base '{_directory}': another process committed generation {onDisk} after this one opened generation {_generation}; expected one writer at a time (reopen and retry)");
    }

    private FileStream AcquireWriteLock() => TryAcquireWriteLock(throwIfNotWritable: true)
        ?? throw new KnowledgeException($"knowledge base '{_directory}': another process is writing to it ({LockFileName} is locked); expected one writer at a time");

    /// <summary>The write lock, or null when another process holds it. A folder that cannot be written at all (a read-only
    /// file system, no permission) is not a lock held by someone: it throws when <paramref name="throwIfNotWritable"/>
    /// (writers), and gives null otherwise (Recover on open, so that a read-only knowledge base can still be searched).</summary>
    private FileStream? TryAcquireWriteLock(bool throwIfNotWritable = false)
    {
        try
        {
            return new FileStream(Path.Combine(_directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (IsHeldByAnother(e))
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (!throwIfNotWritable) return null;
            throw new KnowledgeException($"knowledge base '{_directory}': the folder is not writable ({e.Message}); expected a folder this user can write to (adding and removing documents write there; searching does not)", e);
        }
    }

    // The lock is taken with FileShare.None: on Unix a conflict is flock's EWOULDBLOCK (errno 11 on Linux, 35 on macOS) as
    // the HResult, on Windows ERROR_SHARING_VIOLATION or ERROR_LOCK_VIOLATION (0x80070020/21).
    private static bool IsHeldByAnother(IOException e) =>
        OperatingSystem.IsWindows() ? (e.HResult & 0xFFFF) is 0x20 or 0x21 : e.HResult is 11 or 35;

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var perLevel = new int[Options.Chunking.Levels.Count];
        foreach (var chunk in _chunks.Values) perLevel[chunk.Level]++;
        long bytes = new DirectoryInfo(_directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        return Task.FromResult(new StoreStats
        {
            Files = _files.Count,
            Documents = _documents.Count,
            ChunksPerLevel = perLevel,
            LexicalDocuments = _bm25.Count,
            LexicalTerms = _bm25.TermCount,
            Vectors = _vectors?.Count ?? 0,
            VectorDimensions = _vectors?.Dimensions ?? 0,
            DiskBytes = bytes,
            Generation = Generation,
        });
    }

    private IReadOnlyDictionary<string, string>? MetadataOf(string chunkId) => _chunks.TryGetValue(chunkId, out var c) ? c.Metadata : null;

    private string? TextOf(string chunkId) => _chunks.TryGetValue(chunkId, out var c) ? c.Text : null;

    private static string FileKey(string root, string relativePath) => root + "\n" + relativePath;

    public ValueTask DisposeAsync()
    {
        _commitGate.Dispose();
        return ValueTask.CompletedTask;
    }
}
