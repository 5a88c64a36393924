// The embedded store: a knowledge base is a directory, loaded into memory on open, rewritten as a new generation on every
// commit, with manifest.json swapped last as the commit point — a kill at any moment leaves the previous generation intact.
using System.Text.Json;
using System.Text.Json.Serialization;
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
/// holding <c>catalog.json</c> (files, documents), <c>chunks.jsonl</c>, <c>bm25/</c> and <c>vectors.bin</c> (and with a
/// document route, <c>document-bm25/</c> and <c>document-vectors.bin</c>), and
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

    /// <param name="DocumentRoute">The document route's text per document id; null without a document route.</param>
    private sealed record Catalog(IReadOnlyList<StoredFile> Files, IReadOnlyList<StoredDocument> Documents,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? DocumentRoute = null);

    private readonly string _directory;
    // The loaded generation, applied to on commit before it is persisted.
    private readonly InMemoryKnowledgeStore _state;
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private long _generation;

    private const string DocumentBm25Folder = "document-bm25";
    private const string DocumentVectorsFile = "document-vectors.bin";

    private FileSystemKnowledgeStore(string directory, KnowledgeBaseOptions options, Bm25Index? bm25, Bm25Index? documentBm25 = null)
    {
        _directory = directory;
        _state = new InMemoryKnowledgeStore(options, bm25, documentBm25, $"knowledge base '{directory}'");
    }

    public KnowledgeBaseOptions Options => _state.Options;

    public ITextAnalyzer Analyzer => _state.Analyzer;

    public IDocumentScopedRoute LexicalRoute => _state.LexicalRoute;

    public ISearchRoute? DocumentLexicalRoute => _state.DocumentLexicalRoute;

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
        var resolved = InMemoryKnowledgeStore.Resolve(options, OptionsFileName);
        System.IO.Directory.CreateDirectory(full);
        AtomicFile.Write(Path.Combine(full, OptionsFileName), s => JsonSerializer.Serialize(s, resolved, StoreJson.Indented));
        return new FileSystemKnowledgeStore(full, resolved, bm25: null);
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
            return new FileSystemKnowledgeStore(full, options, bm25: null);
        var manifest = StoreJson.Read<Manifest>(manifestPath, "knowledge base manifest");
        if (manifest.Format != Format || manifest.Version != Version)
            throw new KnowledgeException($"{manifestPath}: format '{manifest.Format}' version {manifest.Version}; expected '{Format}' version {Version}");
        string generationDir = Path.Combine(full, Path.GetFileName(manifest.Directory));
        if (!System.IO.Directory.Exists(generationDir))
            throw new KnowledgeException($"{manifestPath}: names generation folder '{manifest.Directory}', which is missing; expected it beside the manifest (was it deleted by hand?)");

        var bm25 = Bm25Index.Load(Path.Combine(generationDir, "bm25"));
        string documentBm25Dir = Path.Combine(generationDir, DocumentBm25Folder);
        var documentBm25 = options.DocumentRoute is not null && System.IO.Directory.Exists(documentBm25Dir) ? Bm25Index.Load(documentBm25Dir) : null;
        var store = new FileSystemKnowledgeStore(full, options, bm25, documentBm25) { _generation = manifest.Generation };
        var catalog = StoreJson.Read<Catalog>(Path.Combine(generationDir, "catalog.json"), "knowledge base catalog");
        string vectorsPath = Path.Combine(generationDir, "vectors.bin");
        string documentVectorsPath = Path.Combine(generationDir, DocumentVectorsFile);
        var state = store._state;
        state.Restore(catalog.Files, catalog.Documents, ReadChunks(Path.Combine(generationDir, "chunks.jsonl")),
            File.Exists(vectorsPath) ? IVectorIndex.Load(vectorsPath) : null,
            options.DocumentRoute is not null && File.Exists(documentVectorsPath) ? IVectorIndex.Load(documentVectorsPath) : null,
            catalog.DocumentRoute);
        if (state.DocumentCount != manifest.Documents || state.ChunkCount != manifest.Chunks)
            throw new KnowledgeException($"{generationDir}: found {state.DocumentCount} documents and {state.ChunkCount} chunks; expected the manifest's {manifest.Documents} and {manifest.Chunks}");
        return store;
    }

    private static IEnumerable<Chunk> ReadChunks(string chunksPath)
    {
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
            yield return chunk;
        }
    }

    public Task<IReadOnlyList<StoredFile>> GetFilesAsync(CancellationToken cancellationToken = default) => _state.GetFilesAsync(cancellationToken);

    public Task<IReadOnlyList<StoredDocument>> GetDocumentsAsync(CancellationToken cancellationToken = default) => _state.GetDocumentsAsync(cancellationToken);

    public Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default) =>
        _state.GetDocumentAsync(documentId, cancellationToken);

    public Task<IReadOnlyList<Chunk>> GetChunksAsync(IReadOnlyList<string> chunkIds, CancellationToken cancellationToken = default) =>
        _state.GetChunksAsync(chunkIds, cancellationToken);

    public IAsyncEnumerable<Chunk> ReadChunksAsync(CancellationToken cancellationToken = default) => _state.ReadChunksAsync(cancellationToken);

    public IDocumentScopedRoute? CreateDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder) => _state.CreateDenseRoute(queryEmbedder);

    public ISearchRoute? CreateDocumentDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder) =>
        _state.CreateDocumentDenseRoute(queryEmbedder);

    public async Task CommitAsync(StoreBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var writeLock = AcquireWriteLock();
            CheckNotChangedOnDisk();
            // Past this point the batch is applied whatever the token says: a half-applied batch would be worse.
            _state.Apply(batch);
            Persist();
        }
        finally
        {
            _commitGate.Release();
        }
    }

    private void Persist()
    {
        long generation = _generation + 1;
        string name = $"gen-{generation:D8}";
        string generationDir = Path.Combine(_directory, name);
        if (System.IO.Directory.Exists(generationDir)) System.IO.Directory.Delete(generationDir, recursive: true);
        System.IO.Directory.CreateDirectory(generationDir);

        var catalog = new Catalog(_state.SortedFiles(), _state.SortedDocuments(), Options.DocumentRoute is null ? null : _state.DocumentTexts());
        AtomicFile.Write(Path.Combine(generationDir, "catalog.json"), s => JsonSerializer.Serialize(s, catalog, StoreJson.Compact));
        int chunkCount = 0;
        AtomicFile.Write(Path.Combine(generationDir, "chunks.jsonl"), s =>
        {
            using var writer = new StreamWriter(s, leaveOpen: true);
            foreach (var chunk in _state.AllChunks())
            {
                writer.WriteLine(JsonSerializer.Serialize(chunk, StoreJson.Compact));
                chunkCount++;
            }
        });
        _state.Bm25.Save(Path.Combine(generationDir, "bm25"));
        // Replaced and removed HNSW nodes stay in the graph as tombstones; rebuild once they are a quarter of it.
        if (_state.Vectors is HnswIndex hnsw && hnsw.TombstoneCount * 4 > hnsw.Count) hnsw.Compact();
        _state.Vectors?.Save(Path.Combine(generationDir, "vectors.bin"));
        _state.DocumentBm25?.Save(Path.Combine(generationDir, DocumentBm25Folder));
        if (_state.DocumentVectors is HnswIndex documentHnsw && documentHnsw.TombstoneCount * 4 > documentHnsw.Count) documentHnsw.Compact();
        _state.DocumentVectors?.Save(Path.Combine(generationDir, DocumentVectorsFile));
        TestHooks.BeforeManifestSwap.Value?.Invoke(generationDir);

        var manifest = new Manifest(Format, Version, generation, name, _state.DocumentCount, chunkCount);
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

    public async Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        var stats = await _state.GetStatsAsync(cancellationToken).ConfigureAwait(false);
        long bytes = new DirectoryInfo(_directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
        return stats with { DiskBytes = bytes, Generation = Generation };
    }

    public async ValueTask DisposeAsync()
    {
        _commitGate.Dispose();
        await _state.DisposeAsync().ConfigureAwait(false);
    }
}
