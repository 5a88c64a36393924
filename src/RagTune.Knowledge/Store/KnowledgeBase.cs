// The knowledge base: folders of documents in, hybrid (BM25 + dense) retrieval out, over an IKnowledgeStore — by default
// a directory (FileSystemKnowledgeStore). Ingestion is incremental by content hash and commits in durable batches.
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;
using RagTune.Engine;
using RagTune.Engine.IO;
using RagTune.Engine.Tokenizers;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Embeddings;
using RagTune.Knowledge.Loading;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Summaries;
using RagTune.Knowledge.Text;

namespace RagTune.Knowledge.Store;

/// <remarks>
/// One writer at a time (AddFolderAsync and RemoveAsync are serialised); searches may run concurrently with each other
/// and with a write, and see the last committed or applied batch.
/// </remarks>
public sealed class KnowledgeBase : IAsyncDisposable
{
    private readonly IKnowledgeStore _store;
    private readonly KnowledgeBaseOpenOptions _open;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly DocumentReader _reader = new();
    private readonly Lazy<HierarchicalChunker> _chunker;
    // Null for a BM25-only base. A Local model recorded in kb.json loads on first use (search on the dense route, ingestion),
    // so opening for stats, export or removal never pays for it.
    private readonly Lazy<IEmbeddingGenerator<string, Embedding<float>>>? _generator;
    private readonly bool _ownsGenerator;
    private readonly EmbeddingPrompts _prompts;
    // KnowledgeBaseOpenOptions.Reranker, else the local model kb.json records (loaded by the first search that reranks), else null.
    private readonly Lazy<IReranker>? _reranker;
    private readonly bool _ownsReranker;
    // The summary journal of a document route of kind summary; null when there is no place for one (in-memory store).
    private readonly Lazy<DocumentSummaryJournal>? _summaryJournal;

    public KnowledgeBase(IKnowledgeStore store, KnowledgeBaseOpenOptions? openOptions = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _open = openOptions ?? new KnowledgeBaseOpenOptions();
        var embedding = store.Options.Embedding;
        if (embedding.Kind == EmbeddingKind.None && _open.EmbeddingGenerator is not null)
            throw new KnowledgeException("knowledge base: an embedding generator was given but kb.json's embedding kind is none; expected a knowledge base created with embedding settings (vectors cannot be added to one built without them)");
        if (_open.EmbeddingGenerator is { } given)
            _generator = new Lazy<IEmbeddingGenerator<string, Embedding<float>>>(given);
        else if (embedding.Kind == EmbeddingKind.OpenAI)
        {
            _generator = new Lazy<IEmbeddingGenerator<string, Embedding<float>>>(new OpenAIEmbeddingGenerator(new OpenAIEmbeddingGeneratorOptions
            {
                Model = embedding.Model!,
                Endpoint = embedding.Endpoint is null ? null : new Uri(embedding.Endpoint),
                Dimensions = embedding.Dimensions,
                ApiKeyEnvironmentVariable = embedding.ApiKeyEnvironmentVariable,
                BatchSize = embedding.BatchSize,
            }));
            _ownsGenerator = true;
        }
        else if (embedding.Kind == EmbeddingKind.Local)
        {
            _generator = new Lazy<IEmbeddingGenerator<string, Embedding<float>>>(() => LoadLocal(embedding), LazyThreadSafetyMode.ExecutionAndPublication);
            _ownsGenerator = true;
        }
        var resolved = embedding.Kind == EmbeddingKind.None ? EmbeddingPrompts.None : EmbeddingPrompts.Resolve(embedding.ModelDirectory ?? embedding.Model ?? "");
        _prompts = new EmbeddingPrompts(embedding.QueryPrompt ?? resolved.Query, embedding.PassagePrompt ?? resolved.Passage);
        if (_open.Reranker is { } reranker)
            _reranker = new Lazy<IReranker>(reranker);
        else if (store.Options.Reranker is { } recorded)
        {
            _reranker = new Lazy<IReranker>(() => LocalReranker.Load(recorded.ModelDirectory, recorded.Instruction), LazyThreadSafetyMode.ExecutionAndPublication);
            _ownsReranker = true;
        }
        _chunker = new Lazy<HierarchicalChunker>(() => new HierarchicalChunker(_open.TokenCounter ?? LoadTokenCounter(store.Options.TokenizerPath)));
        string? journal = _open.SummaryJournalPath
            ?? (store is FileSystemKnowledgeStore fs ? DocumentSummaryJournal.In(fs.Directory) : null);
        if (journal is not null)
            _summaryJournal = new Lazy<DocumentSummaryJournal>(() => DocumentSummaryJournal.Open(journal), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>How errors name the options: the kb.json path of a directory store, else "kb.json" (the options a store
    /// keeps, e.g. PostgreSQL's kb_meta.options, are kb.json's fields).</summary>
    private string OptionsFile => _store is FileSystemKnowledgeStore fs ? Path.Combine(fs.Directory, FileSystemKnowledgeStore.OptionsFileName) : FileSystemKnowledgeStore.OptionsFileName;

    public KnowledgeBaseOptions Options => _store.Options;

    public IKnowledgeStore Store => _store;

    /// <summary>Whether searches can rerank: a reranker was given when opening, or kb.json records one.</summary>
    public bool HasReranker => _reranker is not null;

    /// <summary>Creates a knowledge base directory with these options (kb.json) and opens it.</summary>
    public static Task<KnowledgeBase> CreateAsync(string directory, KnowledgeBaseOptions? options = null,
        KnowledgeBaseOpenOptions? openOptions = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var store = FileSystemKnowledgeStore.Create(directory, options ?? new KnowledgeBaseOptions());
        return Task.FromResult(new KnowledgeBase(store, openOptions));
    }

    /// <summary>Opens the committed state of a knowledge base directory, clearing what an interrupted commit left; a
    /// directory that links to another store (store.json, e.g. PostgreSQL) opens that store.</summary>
    public static async Task<KnowledgeBase> OpenAsync(string directory, KnowledgeBaseOpenOptions? openOptions = null,
        CancellationToken cancellationToken = default)
    {
        var store = await OpenStoreAsync(directory, cancellationToken).ConfigureAwait(false);
        // A linked store (PostgreSQL) keeps its summary journal in the linking directory.
        if (store is not FileSystemKnowledgeStore && openOptions?.SummaryJournalPath is null)
            openOptions = (openOptions ?? new KnowledgeBaseOpenOptions()) with { SummaryJournalPath = DocumentSummaryJournal.In(directory) };
        return new KnowledgeBase(store, openOptions);
    }

    /// <summary>The store of a knowledge base directory, as <see cref="OpenAsync(string, KnowledgeBaseOpenOptions?, CancellationToken)"/>
    /// opens it, for hosts that build the open options from the store's settings (e.g. load its embedding model).</summary>
    public static async Task<IKnowledgeStore> OpenStoreAsync(string directory, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (KnowledgeStoreLinks.Exists(directory))
            return await KnowledgeStoreLinks.OpenAsync(directory, cancellationToken).ConfigureAwait(false);
        // Loading is file I/O and parsing; keep it off the caller's context.
        var store = await Task.Run(() => FileSystemKnowledgeStore.Open(directory), cancellationToken).ConfigureAwait(false);
        store.Recover();
        return store;
    }

    // The engine's BERT-family encoder from the model folder kb.json records (relative paths from the working directory,
    // as `kb create --embedding-model` wrote them).
    private static Engine.AI.LocalEmbeddingGenerator LoadLocal(EmbeddingSettings settings)
    {
        var folder = settings.ModelDirectory ?? settings.Model!;
        try
        {
            return Engine.AI.LocalEmbeddingGenerator.Load(folder, settings.Model);
        }
        catch (Exception e) when (e is EngineException or IOException or UnauthorizedAccessException)
        {
            throw new KnowledgeException($"knowledge base: kb.json embedding.model_directory '{folder}' could not be loaded: {e.Message}; expected the local embedding model folder the base was created with (or KnowledgeBaseOpenOptions.EmbeddingGenerator)", e);
        }
    }

    private static ITokenCounter LoadTokenCounter(string? tokenizerPath)
    {
        if (tokenizerPath is null) return ApproximateTokenCounter.Instance;
        try
        {
            return new TokenizerTokenCounter(Tokenizer.Load(tokenizerPath));
        }
        catch (EngineException e)
        {
            throw new KnowledgeException($"kb.json tokenizer_path '{tokenizerPath}': {e.Message}", e);
        }
    }

    /// <summary>
    /// Brings the knowledge base in line with <paramref name="folder"/>: new and changed files (by SHA-256 of their bytes)
    /// are loaded, chunked, embedded and indexed; files of this folder that are gone are removed from every index;
    /// unchanged files are not touched. A bad file is listed in <see cref="IngestSummary.Failed"/> and the batch goes on.
    /// Work is committed in durable batches (<see cref="IngestOptions"/>): after a kill, reopening shows the last commit and
    /// running this again finishes the rest.
    /// </summary>
    public async Task<IngestSummary> AddFolderAsync(string folder, IngestOptions? options = null, IProgress<IngestProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new IngestOptions();
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await new FolderIngestion(this, Path.GetFullPath(folder), null, options, progress).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>
    /// Adds one file as <see cref="AddFolderAsync(string, IngestOptions?, IProgress{IngestProgress}?, CancellationToken)"/>
    /// adds a folder's files: indexed when new or changed, left alone when unchanged, a failure reported in the summary. Its
    /// document id is its file name (its folder is the root); the include/exclude globs do not apply to a file named outright.
    /// </summary>
    public async Task<IngestSummary> AddFileAsync(string file, IngestOptions? options = null, IProgress<IngestProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        options ??= new IngestOptions();
        var fullPath = Path.GetFullPath(file);
        if (!File.Exists(fullPath))
            throw new KnowledgeException($"cannot add '{file}': no such file; expected a document file or a folder of them");
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await new FolderIngestion(this, Path.GetDirectoryName(fullPath)!, Path.GetFileName(fullPath), options, progress)
                .RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Adds a folder (<see cref="AddFolderAsync(string, IngestOptions?, IProgress{IngestProgress}?, CancellationToken)"/>)
    /// or a file (<see cref="AddFileAsync"/>), whichever <paramref name="path"/> is.</summary>
    public Task<IngestSummary> AddAsync(string path, IngestOptions? options = null, IProgress<IngestProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return File.Exists(path) ? AddFileAsync(path, options, progress, cancellationToken) : AddFolderAsync(path, options, progress, cancellationToken);
    }

    /// <summary>As <see cref="AddFolderAsync(string, IngestOptions?, IProgress{IngestProgress}?, CancellationToken)"/> with the default commit policy.</summary>
    public Task<IngestSummary> AddFolderAsync(string folder, IProgress<IngestProgress>? progress, CancellationToken cancellationToken = default) =>
        AddFolderAsync(folder, options: null, progress, cancellationToken);

    /// <summary>Removes one document and its chunks from every index; false when it is not there. The file it came from
    /// stays recorded, so re-adding an unchanged folder does not bring it back; changing the file does.</summary>
    public async Task<bool> RemoveAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(documentId);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (await _store.GetDocumentAsync(documentId, cancellationToken).ConfigureAwait(false) is null) return false;
            var files = await _store.GetFilesAsync(cancellationToken).ConfigureAwait(false);
            var owners = files.Where(f => f.DocumentIds.Contains(documentId, StringComparer.Ordinal))
                .Select(f => f with { DocumentIds = f.DocumentIds.Where(d => d != documentId).ToList() }).ToList();
            await _store.CommitAsync(new StoreBatch { RemovedDocuments = [documentId], Files = owners }, cancellationToken).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Hybrid search over the indexed chunks; see <see cref="KnowledgeSearchOptions"/>.</summary>
    public async Task<IReadOnlyList<KnowledgeSearchResult>> SearchAsync(string query, KnowledgeSearchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        options ??= new KnowledgeSearchOptions();
        ArgumentOutOfRangeException.ThrowIfNegative(options.K);
        if (options.Hierarchical && Options.DocumentRoute is null)
            throw new KnowledgeException($"knowledge base search: hierarchical search needs a document route, but {OptionsFile} has no 'document_route' field; expected a knowledge base created with one (kb create --doc-route first-chunk|summary|mean), which builds it as documents are added");
        if (options.Hierarchical && options.Documents < 1)
            throw new KnowledgeException($"knowledge base search: hierarchical search over {options.Documents} documents; expected at least 1 (--docs)");
        if (options.K == 0 || string.IsNullOrWhiteSpace(query)) return [];
        var names = RouteNames(options.Routes);
        // Hierarchical search runs a dense route twice (documents, then their chunks): embed the query once.
        IEmbeddingGenerator<string, Embedding<float>>? queryEmbedder = null;
        if (names.Contains("dense"))
        {
            queryEmbedder = PrefixedEmbeddingGenerator.ForQueries(_generator!.Value, _prompts);
            if (options.Hierarchical) queryEmbedder = new QueryEmbeddingMemo(queryEmbedder);
        }
        var routes = ChunkRoutes(names, queryEmbedder);
        if (routes.Count == 0) return [];  // only the dense route asked for, and nothing embedded yet
        if (options.Rerank && _reranker is null)
            throw new KnowledgeException("knowledge base search: reranking was asked for but none is configured; expected a knowledge base created with a reranker (kb create --reranker DIR, kb.json \"reranker\") or KnowledgeBaseOpenOptions.Reranker");
        if (options.Hierarchical)
        {
            var documents = await RankDocumentsAsync(query, names, queryEmbedder, options, cancellationToken).ConfigureAwait(false);
            if (documents.Count == 0) return [];
            routes = routes.Select(r => (ISearchRoute)new DocumentScopedRoute((IDocumentScopedRoute)r, documents)).ToList();
        }
        var searcher = new HybridSearcher(routes, Fusion(options.Fusion), options.Rerank ? _reranker!.Value : null);
        // Parents dedupe many fine hits into few: ask for more candidates so that k distinct parents usually remain.
        int candidates = options.ReturnParent ? options.K * 4 : options.K;
        var hits = await searcher.SearchAsync(query, candidates, new HybridSearchOptions
        {
            Routes = null,
            Filter = options.Filter,
            CandidatesPerRoute = Math.Max(candidates, Options.Fusion.CandidatesPerRoute),
            Rerank = options.Rerank,
            RerankDepth = Options.Reranker?.Depth,
        }, cancellationToken).ConfigureAwait(false);

        var chunks = (await _store.GetChunksAsync(hits.Select(h => h.Id).ToList(), cancellationToken).ConfigureAwait(false))
            .ToDictionary(c => c.Id, StringComparer.Ordinal);
        var picked = new List<(Chunk Chunk, SearchHit Hit, List<string> Matched)>();
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var hit in hits)
        {
            if (!chunks.TryGetValue(hit.Id, out var chunk)) continue;  // removed since the route ran
            var shown = options.ReturnParent ? await AncestorAsync(chunk, options.ParentLevel, cancellationToken).ConfigureAwait(false) : chunk;
            if (byId.TryGetValue(shown.Id, out int at)) { picked[at].Matched.Add(chunk.Id); continue; }
            if (picked.Count == options.K) continue;
            byId[shown.Id] = picked.Count;
            picked.Add((shown, hit, [chunk.Id]));
        }

        var queryTerms = _store.Analyzer.Analyze(query).Select(t => t.Term).ToHashSet(StringComparer.Ordinal);
        var results = new List<KnowledgeSearchResult>(picked.Count);
        foreach (var (chunk, hit, matched) in picked)
        {
            var document = await _store.GetDocumentAsync(chunk.DocumentId, cancellationToken).ConfigureAwait(false);
            var (terms, spans) = MatchTerms(chunk.Text, queryTerms);
            results.Add(new KnowledgeSearchResult
            {
                Rank = results.Count + 1,
                ChunkId = chunk.Id,
                DocumentId = chunk.DocumentId,
                Text = chunk.Text,
                Level = chunk.Level,
                SourcePath = document?.SourcePath ?? chunk.Metadata.GetValueOrDefault("source", ""),
                RelativePath = document?.RelativePath ?? chunk.Metadata.GetValueOrDefault("source", ""),
                Title = document?.Title ?? chunk.Metadata.GetValueOrDefault("title", ""),
                HeadingPath = chunk.HeadingPath,
                StartChar = chunk.StartChar,
                EndChar = chunk.EndChar,
                Score = hit.Score,
                Route = hit.Route,
                MatchedTerms = terms,
                Highlights = spans,
                MatchedChunkIds = matched,
                Metadata = chunk.Metadata,
            });
        }
        return results;
    }

    /// <summary>The routes a search runs, checked: "bm25" and/or "dense" (null: every route the knowledge base has).</summary>
    private List<string> RouteNames(IReadOnlyList<string>? names)
    {
        bool embeds = Options.Embedding.Kind != EmbeddingKind.None;
        names ??= embeds ? ["bm25", "dense"] : ["bm25"];
        if (names.Count == 0) throw new KnowledgeException("knowledge base search: the route list is empty; expected bm25, dense or both");
        var resolved = new List<string>();
        foreach (var name in names.Select(n => n.ToLowerInvariant()).Distinct(StringComparer.Ordinal))
        {
            if (name is not ("bm25" or "dense"))
                throw new KnowledgeException($"knowledge base search: unknown route '{name}'; expected bm25 or dense");
            if (name == "dense" && !embeds)
                throw new KnowledgeException("knowledge base search: route 'dense' asked for, but kb.json's embedding kind is none; expected route bm25 (or a knowledge base created with an embedding model)");
            resolved.Add(name);
        }
        return resolved;
    }

    private List<ISearchRoute> ChunkRoutes(List<string> names, IEmbeddingGenerator<string, Embedding<float>>? queryEmbedder)
    {
        var routes = new List<ISearchRoute>();
        foreach (var name in names)
        {
            if (name == "bm25") routes.Add(_store.LexicalRoute);
            // Nothing embedded yet (empty knowledge base) is an empty route, not an error.
            else if (_store.CreateDenseRoute(queryEmbedder!) is { } dense) routes.Add(dense);
        }
        return routes;
    }

    /// <summary>The first stage of hierarchical search: the best <see cref="KnowledgeSearchOptions.Documents"/> documents
    /// on the document route (the same routes and fusion as the chunk search; metadata filters apply to the chunks).</summary>
    private async Task<IReadOnlyList<string>> RankDocumentsAsync(string query, List<string> names,
        IEmbeddingGenerator<string, Embedding<float>>? queryEmbedder, KnowledgeSearchOptions options, CancellationToken cancellationToken)
    {
        var routes = new List<ISearchRoute>();
        foreach (var name in names)
        {
            if (name == "bm25") routes.Add(_store.DocumentLexicalRoute!);
            else if (_store.CreateDocumentDenseRoute(queryEmbedder!) is { } dense) routes.Add(dense);
        }
        if (routes.Count == 0) return [];
        var hits = await new HybridSearcher(routes, Fusion(options.Fusion)).SearchAsync(query, options.Documents, new HybridSearchOptions
        {
            CandidatesPerRoute = Math.Max(options.Documents, Options.Fusion.CandidatesPerRoute),
            Rerank = false,
        }, cancellationToken).ConfigureAwait(false);
        return hits.Select(h => h.Id).ToList();
    }

    private IRankFusion Fusion(FusionMethod? method) => (method ?? Options.Fusion.Method) switch
    {
        FusionMethod.Weighted => new WeightedScoreFusion(Options.Fusion.Weights),
        _ => new ReciprocalRankFusion(Options.Fusion.RrfK, Options.Fusion.Weights),
    };

    private async Task<Chunk> AncestorAsync(Chunk chunk, int? level, CancellationToken cancellationToken)
    {
        int target = level ?? Math.Max(0, chunk.Level - 1);
        var current = chunk;
        while (current.Level > target && current.ParentId is { } parentId)
        {
            var parents = await _store.GetChunksAsync([parentId], cancellationToken).ConfigureAwait(false);
            if (parents.Count == 0)
                throw new KnowledgeException($"knowledge base: chunk '{current.Id}' names parent '{parentId}', which is not stored; expected every level of a document to be stored together");
            current = parents[0];
        }
        return current;
    }

    /// <summary>Tokens of <paramref name="text"/> whose terms the query has: their surface forms and merged spans.</summary>
    private (IReadOnlyList<string> Terms, IReadOnlyList<TextSpan> Spans) MatchTerms(string text, HashSet<string> queryTerms)
    {
        var terms = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var spans = new List<TextSpan>();
        if (queryTerms.Count == 0) return (terms, spans);
        foreach (var token in _store.Analyzer.Analyze(text))
        {
            if (!queryTerms.Contains(token.Term)) continue;
            if (seen.Add(text[token.Start..token.End])) terms.Add(text[token.Start..token.End]);
            // Bigrams overlap ("知识", "识库"): merge overlapping or touching spans into one highlight.
            if (spans.Count > 0 && token.Start <= spans[^1].End)
                spans[^1] = new TextSpan(spans[^1].Start, Math.Max(spans[^1].End, token.End));
            else
                spans.Add(new TextSpan(token.Start, token.End));
        }
        return (terms, spans);
    }

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default) => _store.GetStatsAsync(cancellationToken);

    /// <summary>
    /// Writes every chunk (all levels) as one JSON object per line: id, document_id, level, index, parent_id, indexed,
    /// text, start_char, end_char, token_count, heading_path, source, source_path, title, language, metadata.
    /// Returns the number of chunks written.
    /// </summary>
    public async Task<int> ExportAsync(Stream output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        var indexed = Options.ResolvedIndexedLevels.ToHashSet();
        var documents = (await _store.GetDocumentsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(d => d.Id, StringComparer.Ordinal);
        int count = 0;
        await using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = StoreJson.Compact.Encoder });
        await foreach (var chunk in _store.ReadChunksAsync(cancellationToken).ConfigureAwait(false))
        {
            var document = documents.GetValueOrDefault(chunk.DocumentId);
            json.WriteStartObject();
            json.WriteString("id", chunk.Id);
            json.WriteString("document_id", chunk.DocumentId);
            json.WriteNumber("level", chunk.Level);
            json.WriteNumber("index", chunk.Index);
            json.WriteString("parent_id", chunk.ParentId);
            json.WriteBoolean("indexed", indexed.Contains(chunk.Level));
            json.WriteString("text", chunk.Text);
            json.WriteNumber("start_char", chunk.StartChar);
            json.WriteNumber("end_char", chunk.EndChar);
            json.WriteNumber("token_count", chunk.TokenCount);
            json.WriteStartArray("heading_path");
            foreach (var heading in chunk.HeadingPath) json.WriteStringValue(heading);
            json.WriteEndArray();
            json.WriteString("source", document?.RelativePath ?? chunk.Metadata.GetValueOrDefault("source"));
            json.WriteString("source_path", document?.SourcePath);
            json.WriteString("title", document?.Title ?? chunk.Metadata.GetValueOrDefault("title"));
            json.WriteString("language", document?.Language);
            json.WriteStartObject("metadata");
            foreach (var (key, value) in chunk.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) json.WriteString(key, value);
            json.WriteEndObject();
            json.WriteEndObject();
            await json.FlushAsync(cancellationToken).ConfigureAwait(false);
            output.WriteByte((byte)'\n');
            json.Reset();
            count++;
        }
        return count;
    }

    /// <summary>Exports to a file, written to a temporary name first so a reader never sees half an export.</summary>
    public async Task<int> ExportAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        int count = 0;
        await AtomicFile.WriteAsync(Path.GetFullPath(path),
            async (file, ct) => count = await ExportAsync(file, ct).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync().ConfigureAwait(false);
        if (_ownsGenerator && _generator is { IsValueCreated: true }) _generator.Value.Dispose();
        if (_ownsReranker && _reranker is { IsValueCreated: true, Value: IDisposable owned }) owned.Dispose();
        _writeGate.Dispose();
    }

    /// <summary>One AddFolderAsync/AddFileAsync run: scan, hash, load changed files, chunk, embed, commit in batches.</summary>
    /// <param name="root">The folder added, or the folder of the file added.</param>
    /// <param name="onlyFile">For AddFileAsync: the one file of <paramref name="root"/> this run is about; null = all of them.</param>
    private sealed class FolderIngestion(KnowledgeBase kb, string root, string? onlyFile, IngestOptions options, IProgress<IngestProgress>? progress)
    {
        private readonly List<string> _added = [], _updated = [], _removed = [];
        private readonly List<FileIssue> _failed = [];
        private readonly List<DocumentUpsert> _upserts = [];
        private readonly List<string> _removedDocuments = [];
        private readonly List<StoredFile> _files = [];
        private readonly List<(string, string)> _removedFiles = [];
        private readonly Stopwatch _sinceCommit = Stopwatch.StartNew();
        private int _pendingFiles, _commits, _documents, _chunks, _embedded, _unchanged, _summariesWritten, _summariesReused;
        private TimeSpan _lastCommitDuration;

        // Every commit rewrites the store, which grows with it: keep commits at most ~10% of the run by spacing them at
        // least nine commit-durations apart, whatever the configured interval.
        private TimeSpan CommitGap => TimeSpan.FromTicks(Math.Max(options.CommitInterval.Ticks, _lastCommitDuration.Ticks * 9));

        public async Task<IngestSummary> RunAsync(CancellationToken cancellationToken)
        {
            IReadOnlyList<(string FullPath, string RelativePath)> selected = [(Path.Combine(root, onlyFile ?? ""), onlyFile ?? "")];
            IReadOnlyList<FileIssue> skipped = [];
            if (onlyFile is null) (selected, skipped) = kb._reader.SelectFiles(root, kb.Options.Reader);
            var known = (await kb._store.GetFilesAsync(cancellationToken).ConfigureAwait(false))
                .Where(f => f.Root == root && (onlyFile is null || f.RelativePath == onlyFile)).ToDictionary(f => f.RelativePath, StringComparer.Ordinal);
            var documentOwners = await DocumentOwnersAsync(cancellationToken).ConfigureAwait(false);

            var present = selected.Select(s => s.RelativePath).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in known.Values.Where(f => !present.Contains(f.RelativePath)))
            {
                _removedDocuments.AddRange(gone.DocumentIds);
                _removedFiles.Add((root, gone.RelativePath));
                _removed.Add(gone.RelativePath);
            }

            var done = 0;
            try
            {
                for (int i = 0; i < selected.Count; i++)
                {
                    var (fullPath, relativePath) = selected[i];
                    await IngestFileAsync(fullPath, relativePath, known.GetValueOrDefault(relativePath), documentOwners, cancellationToken).ConfigureAwait(false);
                    done = i + 1;
                    progress?.Report(new IngestProgress(done, selected.Count, relativePath, _commits));
                    if (_pendingFiles > 0 && (_sinceCommit.Elapsed >= CommitGap || _pendingFiles >= (options.CommitEveryFiles ?? int.MaxValue)))
                        await CommitAsync(selected.Count, done, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C or SIGTERM: the files finished so far are made durable before stopping (the file in flight is not
                // among them), so the rerun continues from here instead of redoing up to a commit interval of work.
                await CommitAsync(selected.Count, done, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            await CommitAsync(selected.Count, selected.Count, cancellationToken).ConfigureAwait(false);
            return new IngestSummary
            {
                Added = _added,
                Updated = _updated,
                Removed = _removed,
                Unchanged = _unchanged,
                Failed = _failed,
                Skipped = skipped,
                DocumentsIndexed = _documents,
                ChunksWritten = _chunks,
                ChunksEmbedded = _embedded,
                Commits = _commits,
                SummariesWritten = _summariesWritten,
                SummariesReused = _summariesReused,
            };
        }

        // Which file (root + path) each stored document came from, to refuse a second folder claiming the same id.
        private async Task<Dictionary<string, string>> DocumentOwnersAsync(CancellationToken cancellationToken)
        {
            var owners = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var file in await kb._store.GetFilesAsync(cancellationToken).ConfigureAwait(false))
                foreach (var id in file.DocumentIds) owners[id] = Path.Combine(file.Root, file.RelativePath);
            return owners;
        }

        private async Task IngestFileAsync(string fullPath, string relativePath, StoredFile? known, Dictionary<string, string> owners,
            CancellationToken cancellationToken)
        {
            string hash;
            try
            {
                hash = DocumentSource.Sha256Hex(await File.ReadAllBytesAsync(fullPath, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _failed.Add(new FileIssue(relativePath, $"cannot read '{relativePath}': {e.Message}"));
                return;
            }
            if (known is not null && known.ContentHash == hash)
            {
                _unchanged++;
                return;
            }

            var results = await kb._reader.LoadFileAsync(fullPath, relativePath, kb.Options.Reader, cancellationToken).ConfigureAwait(false);
            foreach (var failure in results.Where(r => !r.Succeeded)) _failed.Add(new FileIssue(failure.RelativePath, failure.Error!));
            var documents = new List<Document>();
            string self = Path.Combine(root, relativePath);
            int refused = 0;
            foreach (var document in results.Select(r => r.Document).OfType<Document>())
            {
                if (owners.TryGetValue(document.Id, out var owner) && owner != self)
                {
                    _failed.Add(new FileIssue(relativePath, $"document id '{document.Id}' is already taken by '{owner}' (added from another folder); expected unique relative paths across the folders of one knowledge base"));
                    refused++;
                }
                else
                    documents.Add(document);
            }
            // A file that was indexed and now fails entirely keeps its previous version; the failure is reported. It is
            // not recorded either, so the next run reads it again and reports it again (nor is it counted as a file).
            if (documents.Count == 0 && (refused > 0 || results.Any(r => !r.Succeeded))) return;

            foreach (var document in documents)
            {
                var chunks = kb._chunker.Value.Chunk(document, kb.Options.Chunking);
                var vectors = await EmbedAsync(chunks, cancellationToken).ConfigureAwait(false);
                var representation = kb.Options.DocumentRoute is { } route
                    ? await RepresentAsync(route.Kind, document, chunks, vectors, cancellationToken).ConfigureAwait(false)
                    : null;
                _upserts.Add(new DocumentUpsert(StoredDocument.From(document, chunks, kb.Options.Chunking.Levels.Count), chunks, vectors)
                {
                    Representation = representation,
                });
                _documents++;
                _chunks += chunks.Count;
                owners[document.Id] = self;
            }
            var newIds = documents.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            if (known is not null) _removedDocuments.AddRange(known.DocumentIds.Where(id => !newIds.Contains(id)));
            _files.Add(new StoredFile(root, relativePath, hash, documents.Select(d => d.Id).ToList()));
            (known is null ? _added : _updated).Add(relativePath);
            _pendingFiles++;
        }

        private async Task<IReadOnlyDictionary<string, float[]>> EmbedAsync(IReadOnlyList<Chunk> chunks, CancellationToken cancellationToken)
        {
            var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
            if (kb.Options.Embedding.Kind == EmbeddingKind.None) return vectors;
            var generator = kb._generator!.Value;
            var passages = PrefixedEmbeddingGenerator.ForPassages(generator, kb._prompts);
            var indexed = kb.Options.ResolvedIndexedLevels.ToHashSet();
            foreach (var batch in chunks.Where(c => indexed.Contains(c.Level)).Chunk(kb.Options.Embedding.BatchSize))
            {
                var embeddings = await passages.GenerateAsync(batch.Select(c => c.Text), cancellationToken: cancellationToken).ConfigureAwait(false);
                if (embeddings.Count != batch.Length)
                    throw new KnowledgeException($"knowledge base: the embedding generator returned {embeddings.Count} vectors for {batch.Length} chunks; expected one each");
                for (int i = 0; i < batch.Length; i++) vectors[batch[i].Id] = embeddings[i].Vector.ToArray();
                _embedded += batch.Length;
            }
            return vectors;
        }

        /// <summary>The document on the document route: its first coarsest chunk, its summary, or its whole text with the
        /// mean of its chunk vectors; embedded with the passage prompt as chunks are.</summary>
        private async Task<DocumentRepresentation> RepresentAsync(DocumentRouteKind kind, Document document, IReadOnlyList<Chunk> chunks,
            IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken)
        {
            bool embeds = kb.Options.Embedding.Kind != EmbeddingKind.None;
            if (string.IsNullOrWhiteSpace(document.Text)) return new DocumentRepresentation("", null);
            switch (kind)
            {
                case DocumentRouteKind.FirstChunk:
                    var first = chunks.Where(c => c.Level == 0).MinBy(c => c.Index);
                    if (first is null) return new DocumentRepresentation("", null);
                    float[]? vector = !embeds ? null
                        : vectors.TryGetValue(first.Id, out var known) ? known : await EmbedOneAsync(first.Text, cancellationToken).ConfigureAwait(false);
                    return new DocumentRepresentation(first.Text, vector);
                case DocumentRouteKind.Summary:
                    string summary = await SummaryAsync(document, cancellationToken).ConfigureAwait(false);
                    return new DocumentRepresentation(summary, embeds ? await EmbedOneAsync(summary, cancellationToken).ConfigureAwait(false) : null);
                default:
                    return new DocumentRepresentation(document.Text, MeanVector(chunks, vectors));
            }
        }

        private async Task<float[]> EmbedOneAsync(string text, CancellationToken cancellationToken)
        {
            var passages = PrefixedEmbeddingGenerator.ForPassages(kb._generator!.Value, kb._prompts);
            var embeddings = await passages.GenerateAsync([text], cancellationToken: cancellationToken).ConfigureAwait(false);
            if (embeddings.Count != 1)
                throw new KnowledgeException($"knowledge base: the embedding generator returned {embeddings.Count} vectors for one document representation; expected one");
            return embeddings[0].Vector.ToArray();
        }

        // The mean of the indexed chunks' vectors; for cosine each is normalised first, so long and short chunks weigh alike.
        private float[]? MeanVector(IReadOnlyList<Chunk> chunks, IReadOnlyDictionary<string, float[]> vectors)
        {
            float[]? sum = null;
            bool cosine = kb.Options.VectorIndex.Metric == Dense.VectorMetric.Cosine;
            int count = 0;
            foreach (var chunk in chunks)
            {
                if (!vectors.TryGetValue(chunk.Id, out var vector)) continue;
                sum ??= new float[vector.Length];
                float norm = cosine ? System.Numerics.Tensors.TensorPrimitives.Norm(vector) : 1f;
                if (norm == 0f) continue;
                for (int i = 0; i < sum.Length; i++) sum[i] += vector[i] / norm;
                count++;
            }
            if (sum is null || count == 0) return null;
            System.Numerics.Tensors.TensorPrimitives.Divide(sum, count, sum);
            return sum;
        }

        /// <summary>The journalled summary of this content, else the summariser's (journalled before it is used).</summary>
        private async Task<string> SummaryAsync(Document document, CancellationToken cancellationToken)
        {
            var summarizer = kb._open.Summarizer ?? throw new KnowledgeException(
                $"knowledge base: {kb.OptionsFile} document_route.kind is summary, but no summarizer was given; expected KnowledgeBaseOpenOptions.Summarizer (a teacher chat model; `ragtune kb add` builds it from document_route.summary_model)");
            var journal = kb._summaryJournal?.Value;
            if (journal?.Find(document.Id, document.ContentHash) is { } done)
            {
                _summariesReused++;
                return done;
            }
            string summary = await summarizer.SummarizeAsync(document, cancellationToken).ConfigureAwait(false);
            if (string.IsNullOrWhiteSpace(summary))
                throw new KnowledgeException($"knowledge base: the summarizer returned an empty summary for document '{document.Id}'; expected a summary of its content");
            if (journal is not null) await journal.AppendAsync(document.Id, document.ContentHash, summary, cancellationToken).ConfigureAwait(false);
            _summariesWritten++;
            return summary;
        }

        private async Task CommitAsync(int total, int done, CancellationToken cancellationToken)
        {
            var batch = new StoreBatch
            {
                RemovedDocuments = [.. _removedDocuments],
                Upserts = [.. _upserts],
                Files = [.. _files],
                RemovedFiles = [.. _removedFiles],
            };
            if (batch.IsEmpty) return;
            var started = Stopwatch.GetTimestamp();
            await kb._store.CommitAsync(batch, cancellationToken).ConfigureAwait(false);
            _lastCommitDuration = Stopwatch.GetElapsedTime(started);
            _removedDocuments.Clear();
            _upserts.Clear();
            _files.Clear();
            _removedFiles.Clear();
            _pendingFiles = 0;
            _commits++;
            _sinceCommit.Restart();
            progress?.Report(new IngestProgress(done, total, null, _commits));
        }
    }
}
