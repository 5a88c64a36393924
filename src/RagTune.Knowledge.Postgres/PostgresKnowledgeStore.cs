// The PostgreSQL + pgvector store: the knowledge-base contract over Npgsql, one schema per knowledge base; BM25 is scored
// in SQL over postings made by the same analyzer as the embedded store, vectors live in a pgvector column with HNSW.
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Npgsql;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

/// <remarks>
/// Every read takes a pooled connection of its own, so reads run concurrently; a commit is one transaction (see
/// <see cref="CommitAsync"/>). Terms are computed in C# by <see cref="Analyzer"/> at commit and at query time, and
/// scored in SQL with the embedded index's formula, so both stores rank the same text the same way.
/// </remarks>
public sealed partial class PostgresKnowledgeStore : IKnowledgeStore
{
    private readonly NpgsqlDataSource _source;
    private readonly PostgresStoreOptions _location;
    private readonly string _s;
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private int _dimensions;

    private PostgresKnowledgeStore(NpgsqlDataSource source, PostgresStoreOptions location, KnowledgeBaseOptions options, int dimensions,
        bool iterativeScan)
    {
        IterativeScan = iterativeScan;
        _source = source;
        _location = location;
        _s = location.Schema;
        Options = options;
        Analyzer = TextAnalyzerFactory.Create(options.Lexical.Analyzer);
        _dimensions = dimensions;
        LexicalRoute = new PostgresLexicalRoute(this);
        if (options.DocumentRoute is not null) DocumentLexicalRoute = new PostgresLexicalRoute(this, documents: true);
    }

    public KnowledgeBaseOptions Options { get; }

    public ITextAnalyzer Analyzer { get; }

    public IDocumentScopedRoute LexicalRoute { get; }

    public ISearchRoute? DocumentLexicalRoute { get; }

    public PostgresStoreOptions Location => _location;

    internal string Schema => _s;

    /// <summary>pgvector ≥ 0.8: an HNSW scan can continue past ef_search until LIMIT rows pass (filtered searches).</summary>
    internal bool IterativeScan { get; }

    private static async Task<bool> SupportsIterativeScanAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT extversion FROM pg_extension WHERE extname = 'vector'", connection);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string text
            && Version.TryParse(text, out var version) && version >= new Version(0, 8);
    }

    /// <summary>Creates the schema and tables of an empty knowledge base; the schema must not hold one already.</summary>
    public static async Task<PostgresKnowledgeStore> CreateAsync(PostgresStoreOptions location, KnowledgeBaseOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        location.Validate();
        var resolved = options with { Lexical = options.Lexical with { Analyzer = TextAnalyzerFactory.Resolve(options.Lexical.Analyzer) } };
        resolved.Validate("PostgreSQL knowledge base options");
        var source = CreateSource(location);
        try
        {
            bool iterative = await Guard(location, "create", async () =>
            {
                await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                if (await MetaExistsAsync(connection, location.Schema, cancellationToken).ConfigureAwait(false))
                    throw new KnowledgeException($"cannot create a knowledge base in {location.Describe()}: the schema already holds one ({location.Schema}.kb_meta); expected a new schema (or drop it first)");
                // Only dense retrieval needs pgvector: a BM25-only knowledge base runs on a stock server.
                if (resolved.Embedding.Kind != EmbeddingKind.None)
                    await PgvectorExtension.EnsureAsync(connection, transaction, location, resolved.Embedding, cancellationToken).ConfigureAwait(false);
                await using (var create = new NpgsqlCommand(PostgresSchema.Create(location.Schema), connection, transaction))
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                if (resolved.DocumentRoute is not null)
                    await using (var route = new NpgsqlCommand(PostgresSchema.CreateDocumentRoute(location.Schema), connection, transaction))
                        await route.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await using (var meta = new NpgsqlCommand($"""INSERT INTO "{location.Schema}".kb_meta (format, schema_version, options) VALUES (@f, @v, @o::jsonb)""", connection, transaction))
                {
                    meta.Parameters.AddWithValue("f", PostgresSchema.Format);
                    meta.Parameters.AddWithValue("v", PostgresSchema.Version);
                    meta.Parameters.AddWithValue("o", JsonSerializer.Serialize(resolved, StoreJson.Compact));
                    await meta.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return await SupportsIterativeScanAsync(connection, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            // The data source mapped the database's types before CREATE EXTENSION: map pgvector's type now.
            if (resolved.Embedding.Kind != EmbeddingKind.None)
                await Guard(location, "create", () => source.ReloadTypesAsync(cancellationToken)).ConfigureAwait(false);
            return new PostgresKnowledgeStore(source, location, resolved, 0, iterative);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Opens the knowledge base in <see cref="PostgresStoreOptions.Schema"/>.</summary>
    public static async Task<PostgresKnowledgeStore> OpenAsync(PostgresStoreOptions location, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(location);
        location.Validate();
        var source = CreateSource(location);
        try
        {
            var (options, dimensions, iterative) = await Guard(location, "open", async () =>
            {
                await using var connection = await source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                if (!await MetaExistsAsync(connection, location.Schema, cancellationToken).ConfigureAwait(false))
                    throw new KnowledgeException($"{location.Describe()} is not a knowledge base: table {location.Schema}.kb_meta not found; expected a schema made by 'ragtune kb create --store postgres' or KnowledgeBase.CreateAsync");
                await using var read = new NpgsqlCommand($"""SELECT format, schema_version, options::text, vector_dimensions FROM "{location.Schema}".kb_meta""", connection);
                await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    throw new KnowledgeException($"{location.Describe()}: {location.Schema}.kb_meta is empty; expected one row with the options (was it edited by hand?)");
                string format = reader.GetString(0);
                int version = reader.GetInt32(1);
                if (format != PostgresSchema.Format || version != PostgresSchema.Version)
                    throw new KnowledgeException($"{location.Describe()}: kb_meta says format '{format}' version {version}; expected '{PostgresSchema.Format}' version {PostgresSchema.Version}");
                KnowledgeBaseOptions options;
                try
                {
                    options = JsonSerializer.Deserialize<KnowledgeBaseOptions>(reader.GetString(2), StoreJson.Compact)
                        ?? throw new JsonException("null");
                }
                catch (JsonException e)
                {
                    throw new KnowledgeException($"{location.Describe()}: kb_meta.options is invalid ({e.Message}); expected the JSON RagTune writes", e);
                }
                int dims = reader.GetInt32(3);
                await reader.DisposeAsync().ConfigureAwait(false);
                return (options, dims, await SupportsIterativeScanAsync(connection, cancellationToken).ConfigureAwait(false));
            }).ConfigureAwait(false);
            options.Validate($"{location.Describe()} kb_meta.options");
            return new PostgresKnowledgeStore(source, location, options, dimensions, iterative);
        }
        catch
        {
            await source.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>A pool for the store; pgvector's <c>vector</c> travels in its binary format (Pgvector's type mapping).</summary>
    private static NpgsqlDataSource CreateSource(PostgresStoreOptions location)
    {
        var builder = new NpgsqlDataSourceBuilder(location.ConnectionString);
        builder.UseVector();
        return builder.Build();
    }

    private static async Task<bool> MetaExistsAsync(NpgsqlConnection connection, string schema, CancellationToken cancellationToken)
    {
        await using var probe = new NpgsqlCommand("SELECT to_regclass(@t) IS NOT NULL", connection);
        probe.Parameters.AddWithValue("t", $"\"{schema}\".kb_meta");
        return (bool)(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Runs database work, turning driver and server errors into one KnowledgeException naming the store.</summary>
    private static async Task<T> Guard<T>(PostgresStoreOptions location, string what, Func<Task<T>> work)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw Failure(location, what, e);
        }
    }

    /// <summary>One line: the server's own message (its DETAIL may hold data, Npgsql redacts it) or the driver's.</summary>
    private static KnowledgeException Failure(PostgresStoreOptions location, string what, NpgsqlException e) =>
        new($"PostgreSQL knowledge base {location.Describe()}: {what} failed: {(e is PostgresException pg ? $"{pg.SqlState}: {pg.MessageText}" : e.Message)}", e);

    private static Task Guard(PostgresStoreOptions location, string what, Func<Task> work) =>
        Guard(location, what, async () => { await work().ConfigureAwait(false); return true; });

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection of its own. A transient failure (the server restarted or is
    /// starting, a dropped connection, a deadlock between writers) clears the pool's dead connections and runs the work
    /// again, until <see cref="PostgresStoreOptions.ReconnectTimeout"/> has passed. Every caller's work may run twice:
    /// reads are idempotent, and a commit replaces its documents wholesale, so applying it again leaves the same state.
    /// </summary>
    internal async Task<T> GuardAsync<T>(string what, Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken = default)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                return await work(connection).ConfigureAwait(false);
            }
            catch (NpgsqlException e) when (e.IsTransient && !cancellationToken.IsCancellationRequested && clock.Elapsed + delay < _location.ReconnectTimeout)
            {
                _source.Clear();
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
            catch (NpgsqlException e)
            {
                throw Failure(_location, what, e);
            }
        }
    }

    public Task<IReadOnlyList<StoredFile>> GetFilesAsync(CancellationToken cancellationToken = default) =>
        GuardAsync<IReadOnlyList<StoredFile>>("reading files", async connection =>
        {
            await using var command = new NpgsqlCommand($"""SELECT root, relative_path, content_hash, document_ids FROM "{_s}".files ORDER BY root, relative_path""", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var files = new List<StoredFile>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                files.Add(new StoredFile(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<string[]>(3)));
            return files;
        });

    private const string DocumentColumns = "id, source_path, relative_path, title, content_hash, language, text_length, metadata::text, chunks_per_level";

    public Task<IReadOnlyList<StoredDocument>> GetDocumentsAsync(CancellationToken cancellationToken = default) =>
        GuardAsync<IReadOnlyList<StoredDocument>>("reading documents", async connection =>
        {
            await using var command = new NpgsqlCommand($"""SELECT {DocumentColumns} FROM "{_s}".documents ORDER BY id""", connection);
            return await ReadDocumentsAsync(command, cancellationToken).ConfigureAwait(false);
        });

    public Task<StoredDocument?> GetDocumentAsync(string documentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(documentId);
        return GuardAsync("reading a document", async connection =>
        {
            await using var command = new NpgsqlCommand($"""SELECT {DocumentColumns} FROM "{_s}".documents WHERE id = @id""", connection);
            command.Parameters.AddWithValue("id", documentId);
            var found = await ReadDocumentsAsync(command, cancellationToken).ConfigureAwait(false);
            return found.Count == 0 ? null : found[0];
        });
    }

    private static async Task<List<StoredDocument>> ReadDocumentsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var documents = new List<StoredDocument>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            documents.Add(new StoredDocument
            {
                Id = reader.GetString(0),
                SourcePath = reader.GetString(1),
                RelativePath = reader.GetString(2),
                Title = reader.GetString(3),
                ContentHash = reader.GetString(4),
                Language = reader.GetString(5),
                TextLength = reader.GetInt32(6),
                Metadata = ParseMetadata(reader.GetString(7)),
                ChunksPerLevel = reader.GetFieldValue<int[]>(8),
            });
        return documents;
    }

    internal static IReadOnlyDictionary<string, string> ParseMetadata(string json) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? [];

    private const string ChunkColumns = "id, document_id, text, level, idx, parent_id, start_char, end_char, token_count, heading_path, metadata::text, oversized";

    private static Chunk ReadChunk(NpgsqlDataReader reader) => new()
    {
        Id = reader.GetString(0),
        DocumentId = reader.GetString(1),
        Text = reader.GetString(2),
        Level = reader.GetInt32(3),
        Index = reader.GetInt32(4),
        ParentId = reader.IsDBNull(5) ? null : reader.GetString(5),
        StartChar = reader.GetInt32(6),
        EndChar = reader.GetInt32(7),
        TokenCount = reader.GetInt32(8),
        HeadingPath = reader.GetFieldValue<string[]>(9),
        Metadata = ParseMetadata(reader.GetString(10)),
        Oversized = reader.GetBoolean(11),
    };

    public Task<IReadOnlyList<Chunk>> GetChunksAsync(IReadOnlyList<string> chunkIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunkIds);
        if (chunkIds.Count == 0) return Task.FromResult<IReadOnlyList<Chunk>>([]);
        return GuardAsync<IReadOnlyList<Chunk>>("reading chunks", async connection =>
        {
            await using var command = new NpgsqlCommand($"""SELECT {ChunkColumns} FROM "{_s}".chunks WHERE id = ANY(@ids)""", connection);
            command.Parameters.AddWithValue("ids", chunkIds.ToArray());
            var byId = new Dictionary<string, Chunk>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var chunk = ReadChunk(reader);
                    byId[chunk.Id] = chunk;
                }
            return chunkIds.Select(id => byId.GetValueOrDefault(id)).OfType<Chunk>().ToList();
        });
    }

    public async IAsyncEnumerable<Chunk> ReadChunksAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Keyset pages by (document, level, index), so a long export neither holds a transaction nor buffers everything.
        const int page = 2000;
        string? afterDocument = null;
        int afterLevel = 0, afterIndex = 0;
        while (true)
        {
            var chunks = await GuardAsync("reading chunks", async connection =>
            {
                string where = afterDocument is null ? "" : "WHERE (document_id, level, idx) > (@d, @l, @i)";
                await using var command = new NpgsqlCommand($"""SELECT {ChunkColumns} FROM "{_s}".chunks {where} ORDER BY document_id, level, idx LIMIT {page}""", connection);
                if (afterDocument is not null)
                {
                    command.Parameters.AddWithValue("d", afterDocument);
                    command.Parameters.AddWithValue("l", afterLevel);
                    command.Parameters.AddWithValue("i", afterIndex);
                }
                var list = new List<Chunk>(page);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) list.Add(ReadChunk(reader));
                return list;
            }).ConfigureAwait(false);
            foreach (var chunk in chunks) yield return chunk;
            if (chunks.Count < page) yield break;
            (afterDocument, afterLevel, afterIndex) = (chunks[^1].DocumentId, chunks[^1].Level, chunks[^1].Index);
        }
    }

    public IDocumentScopedRoute? CreateDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder)
    {
        ArgumentNullException.ThrowIfNull(queryEmbedder);
        int dimensions = Volatile.Read(ref _dimensions);
        return dimensions == 0 ? null : new PostgresDenseRoute(this, queryEmbedder, dimensions);
    }

    /// <remarks>The document vectors are created with the chunk vectors (one model, one size).</remarks>
    public ISearchRoute? CreateDocumentDenseRoute(IEmbeddingGenerator<string, Embedding<float>> queryEmbedder)
    {
        ArgumentNullException.ThrowIfNull(queryEmbedder);
        int dimensions = Volatile.Read(ref _dimensions);
        return dimensions == 0 || Options.DocumentRoute is null ? null : new PostgresDenseRoute(this, queryEmbedder, dimensions, documents: true);
    }

    public Task<StoreStats> GetStatsAsync(CancellationToken cancellationToken = default) =>
        GuardAsync("reading statistics", async connection =>
        {
            int dimensions = Volatile.Read(ref _dimensions);
            string vectors = dimensions == 0 ? "0" : $"""(SELECT count(*) FROM "{_s}".vectors)""";
            bool routed = Options.DocumentRoute is not null;
            string routedDocuments = routed ? $"""(SELECT count(*) FROM "{_s}".document_route)""" : "0";
            string routedVectors = routed && dimensions > 0 ? $"""(SELECT count(*) FROM "{_s}".document_vectors)""" : "0";
            await using var command = new NpgsqlCommand($"""
                SELECT (SELECT count(*) FILTER (WHERE cardinality(document_ids) > 0) FROM "{_s}".files), (SELECT count(*) FROM "{_s}".documents),
                       m.lexical_docs, (SELECT count(DISTINCT term) FROM "{_s}".postings), {vectors}, m.vector_dimensions, m.generation,
                       (SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE n.nspname = @schema AND c.relkind = 'r'),
                       (SELECT count(*) FILTER (WHERE cardinality(document_ids) = 0) FROM "{_s}".files), {routedDocuments}, {routedVectors}
                FROM "{_s}".kb_meta m
                """, connection);
            command.Parameters.AddWithValue("schema", _s);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var stats = new StoreStats
            {
                Files = (int)reader.GetInt64(0),
                Documents = (int)reader.GetInt64(1),
                LexicalDocuments = (int)reader.GetInt64(2),
                LexicalTerms = (int)reader.GetInt64(3),
                Vectors = (int)reader.GetInt64(4),
                VectorDimensions = reader.GetInt32(5),
                Generation = reader.GetInt64(6),
                DiskBytes = reader.GetInt64(7),
                FilesWithoutDocuments = (int)reader.GetInt64(8),
                RoutedDocuments = (int)reader.GetInt64(9),
                RoutedDocumentVectors = (int)reader.GetInt64(10),
            };
            await reader.DisposeAsync().ConfigureAwait(false);
            return stats with { ChunksPerLevel = await ChunksPerLevelAsync(connection, cancellationToken).ConfigureAwait(false) };
        });

    private async Task<int[]> ChunksPerLevelAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var perLevel = new int[Options.Chunking.Levels.Count];
        await using var command = new NpgsqlCommand($"""SELECT level, count(*) FROM "{_s}".chunks GROUP BY level""", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            int level = reader.GetInt32(0);
            if (level >= 0 && level < perLevel.Length) perLevel[level] = (int)reader.GetInt64(1);
        }
        return perLevel;
    }

    public async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync().ConfigureAwait(false);
        _commitGate.Dispose();
    }
}
