// The write side of the PostgreSQL store: a batch becomes one transaction of set-based statements (unnest arrays, no
// COPY), with the BM25 corpus statistics and the generation counter updated in the same transaction.
using System.Text.Json;
using Npgsql;
using Pgvector;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Documents;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

public sealed partial class PostgresKnowledgeStore
{
    /// <summary>Applies the batch in one transaction: all of it is visible after the commit, none of it after any failure.</summary>
    /// <remarks>The kb_meta row is locked first (SELECT … FOR UPDATE), so writers in other processes queue behind it.</remarks>
    public async Task CommitAsync(StoreBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (var upsert in batch.Upserts)
            foreach (var chunk in upsert.Chunks)
                if (chunk.DocumentId != upsert.Document.Id)
                    throw new KnowledgeException($"store batch: chunk '{chunk.Id}' belongs to document '{chunk.DocumentId}'; expected '{upsert.Document.Id}'");
        batch.CheckRepresentations(Options, $"PostgreSQL knowledge base {_location.Describe()}");
        if (batch.IsEmpty) return;
        var rows = Prepare(batch);
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            int dimensions = await GuardAsync("commit", async connection =>
            {
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                int dims = await WriteAsync(connection, batch, rows, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                return dims;
            }, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _dimensions, dimensions);
        }
        finally
        {
            _commitGate.Release();
        }
    }

    /// <summary>The batch's rows as column arrays, terms analysed here (the CPU work stays out of the transaction).</summary>
    private sealed class Rows
    {
        public readonly List<Chunk> Chunks = [];
        public readonly List<int?> Lengths = [];
        public readonly List<string> PostingTerms = [], PostingChunks = [];
        public readonly List<int> PostingTfs = [], PostingLengths = [];
        public readonly List<(string Id, float[] Vector)> Vectors = [];
        public long LexicalDocs, LexicalLength;
        // The document route: one row per document, its postings and its vector.
        public readonly List<string> RouteIds = [], RouteTexts = [];
        public readonly List<int> RouteLengths = [];
        public readonly List<string> RoutePostingTerms = [], RoutePostingDocuments = [];
        public readonly List<int> RoutePostingTfs = [], RoutePostingLengths = [];
        public readonly List<(string Id, float[] Vector)> RouteVectors = [];
    }

    /// <summary>Analyses a text into postings (term, tf) and its token count, as the embedded BM25 index does.</summary>
    private (Dictionary<string, int> Counts, int Length) Postings(string text)
    {
        var tokens = Analyzer.Analyze(text);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in tokens) counts[t.Term] = counts.GetValueOrDefault(t.Term) + 1;
        return (counts, tokens.Count);
    }

    private Rows Prepare(StoreBatch batch)
    {
        var rows = new Rows();
        var indexed = Options.ResolvedIndexedLevels.ToHashSet();
        foreach (var upsert in batch.Upserts)
        {
            foreach (var chunk in upsert.Chunks)
            {
                rows.Chunks.Add(chunk);
                if (!indexed.Contains(chunk.Level))
                {
                    rows.Lengths.Add(null);
                    continue;
                }
                var (counts, length) = Postings(chunk.Text);
                rows.Lengths.Add(length);
                rows.LexicalDocs++;
                rows.LexicalLength += length;
                foreach (var (term, tf) in counts)
                {
                    rows.PostingTerms.Add(term);
                    rows.PostingChunks.Add(chunk.Id);
                    rows.PostingTfs.Add(tf);
                    rows.PostingLengths.Add(length);
                }
                if (upsert.Vectors.TryGetValue(chunk.Id, out var vector)) rows.Vectors.Add((chunk.Id, vector));
            }
            if (upsert.Representation is not { } representation) continue;
            var (routeCounts, routeLength) = Postings(representation.Text);
            rows.RouteIds.Add(upsert.Document.Id);
            rows.RouteTexts.Add(representation.Text);
            rows.RouteLengths.Add(routeLength);
            foreach (var (term, tf) in routeCounts)
            {
                rows.RoutePostingTerms.Add(term);
                rows.RoutePostingDocuments.Add(upsert.Document.Id);
                rows.RoutePostingTfs.Add(tf);
                rows.RoutePostingLengths.Add(routeLength);
            }
            if (representation.Vector is { } routeVector) rows.RouteVectors.Add((upsert.Document.Id, routeVector));
        }
        return rows;
    }

    private async Task<int> WriteAsync(NpgsqlConnection connection, StoreBatch batch, Rows rows, CancellationToken cancellationToken)
    {
        int dimensions;
        await using (var meta = new NpgsqlCommand($"""SELECT vector_dimensions FROM "{_s}".kb_meta FOR UPDATE""", connection))
            dimensions = (int)(await meta.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;

        // Removed and replaced documents go first, with their postings, vectors and their share of the corpus statistics.
        var gone = batch.RemovedDocuments.Concat(batch.Upserts.Select(u => u.Document.Id)).Distinct(StringComparer.Ordinal).ToArray();
        if (gone.Length > 0)
        {
            string vectors = dimensions == 0 ? "" : $"""DELETE FROM "{_s}".vectors WHERE chunk_id IN (SELECT id FROM "{_s}".chunks WHERE document_id = ANY(@ids));""";
            await ExecuteAsync(connection, $"""
                DELETE FROM "{_s}".postings WHERE chunk_id IN (SELECT id FROM "{_s}".chunks WHERE document_id = ANY(@ids));
                {vectors}
                WITH removed AS (DELETE FROM "{_s}".chunks WHERE document_id = ANY(@ids) RETURNING lexical_length)
                UPDATE "{_s}".kb_meta SET lexical_docs = lexical_docs - (SELECT count(lexical_length) FROM removed),
                    lexical_length = lexical_length - (SELECT coalesce(sum(lexical_length), 0) FROM removed);
                DELETE FROM "{_s}".documents WHERE id = ANY(@ids);
                """, cancellationToken, ("ids", gone)).ConfigureAwait(false);
            if (Options.DocumentRoute is not null)
                await ExecuteAsync(connection, $"""
                    DELETE FROM "{_s}".document_postings WHERE document_id = ANY(@ids);
                    DELETE FROM "{_s}".document_route WHERE document_id = ANY(@ids);
                    {(dimensions == 0 ? "" : $"""DELETE FROM "{_s}".document_vectors WHERE document_id = ANY(@ids);""")}
                    """, cancellationToken, ("ids", gone)).ConfigureAwait(false);
        }

        if (batch.Upserts.Count > 0)
        {
            var docs = batch.Upserts.Select(u => u.Document).ToList();
            await ExecuteAsync(connection, $"""
                INSERT INTO "{_s}".documents (id, source_path, relative_path, title, content_hash, language, text_length, metadata, chunks_per_level)
                SELECT d.id, d.source_path, d.relative_path, d.title, d.content_hash, d.language, d.text_length, d.metadata::jsonb,
                       ARRAY(SELECT jsonb_array_elements_text(d.per_level::jsonb)::integer)
                FROM unnest(@id, @source, @relative, @title, @hash, @language, @length, @metadata, @perLevel)
                     AS d(id, source_path, relative_path, title, content_hash, language, text_length, metadata, per_level)
                """, cancellationToken,
                ("id", docs.Select(d => d.Id).ToArray()), ("source", docs.Select(d => d.SourcePath).ToArray()),
                ("relative", docs.Select(d => d.RelativePath).ToArray()), ("title", docs.Select(d => d.Title).ToArray()),
                ("hash", docs.Select(d => d.ContentHash).ToArray()), ("language", docs.Select(d => d.Language).ToArray()),
                ("length", docs.Select(d => d.TextLength).ToArray()), ("metadata", docs.Select(d => Json(d.Metadata)).ToArray()),
                ("perLevel", docs.Select(d => Json(d.ChunksPerLevel)).ToArray())).ConfigureAwait(false);
        }

        if (rows.Chunks.Count > 0)
        {
            var c = rows.Chunks;
            await ExecuteAsync(connection, $"""
                INSERT INTO "{_s}".chunks (id, document_id, level, idx, parent_id, start_char, end_char, token_count, heading_path, metadata, oversized, text, lexical_length)
                SELECT r.id, r.document_id, r.level, r.idx, r.parent_id, r.start_char, r.end_char, r.token_count,
                       ARRAY(SELECT jsonb_array_elements_text(r.heading_path::jsonb)), r.metadata::jsonb, r.oversized, r.text, r.lexical_length
                FROM unnest(@id, @document, @level, @idx, @parent, @start, @end, @tokens, @headings, @metadata, @oversized, @text, @lexical)
                     AS r(id, document_id, level, idx, parent_id, start_char, end_char, token_count, heading_path, metadata, oversized, text, lexical_length);
                UPDATE "{_s}".kb_meta SET lexical_docs = lexical_docs + @docs, lexical_length = lexical_length + @total;
                """, cancellationToken,
                ("id", c.Select(x => x.Id).ToArray()), ("document", c.Select(x => x.DocumentId).ToArray()),
                ("level", c.Select(x => x.Level).ToArray()), ("idx", c.Select(x => x.Index).ToArray()),
                ("parent", c.Select(x => x.ParentId).ToArray()), ("start", c.Select(x => x.StartChar).ToArray()),
                ("end", c.Select(x => x.EndChar).ToArray()), ("tokens", c.Select(x => x.TokenCount).ToArray()),
                ("headings", c.Select(x => Json(x.HeadingPath)).ToArray()), ("metadata", c.Select(x => Json(x.Metadata)).ToArray()),
                ("oversized", c.Select(x => x.Oversized).ToArray()), ("text", c.Select(x => x.Text).ToArray()),
                ("lexical", rows.Lengths.ToArray()), ("docs", rows.LexicalDocs), ("total", rows.LexicalLength)).ConfigureAwait(false);
        }

        if (rows.PostingTerms.Count > 0)
            await ExecuteAsync(connection, $"""
                INSERT INTO "{_s}".postings (term, chunk_id, tf, length) SELECT * FROM unnest(@term, @chunk, @tf, @length)
                """, cancellationToken, ("term", rows.PostingTerms.ToArray()), ("chunk", rows.PostingChunks.ToArray()),
                ("tf", rows.PostingTfs.ToArray()), ("length", rows.PostingLengths.ToArray())).ConfigureAwait(false);

        if (rows.RouteIds.Count > 0)
        {
            await ExecuteAsync(connection, $"""
                INSERT INTO "{_s}".document_route (document_id, text, lexical_length) SELECT * FROM unnest(@id, @text, @length)
                """, cancellationToken, ("id", rows.RouteIds.ToArray()), ("text", rows.RouteTexts.ToArray()),
                ("length", rows.RouteLengths.ToArray())).ConfigureAwait(false);
            if (rows.RoutePostingTerms.Count > 0)
                await ExecuteAsync(connection, $"""
                    INSERT INTO "{_s}".document_postings (term, document_id, tf, length) SELECT * FROM unnest(@term, @document, @tf, @length)
                    """, cancellationToken, ("term", rows.RoutePostingTerms.ToArray()), ("document", rows.RoutePostingDocuments.ToArray()),
                    ("tf", rows.RoutePostingTfs.ToArray()), ("length", rows.RoutePostingLengths.ToArray())).ConfigureAwait(false);
        }

        if (rows.Vectors.Count > 0 || rows.RouteVectors.Count > 0)
            dimensions = await WriteVectorsAsync(connection, rows, dimensions, cancellationToken).ConfigureAwait(false);

        if (batch.RemovedFiles.Count > 0)
            await ExecuteAsync(connection, $"""
                DELETE FROM "{_s}".files f USING unnest(@root, @path) AS r(root, relative_path)
                WHERE f.root = r.root AND f.relative_path = r.relative_path
                """, cancellationToken, ("root", batch.RemovedFiles.Select(f => f.Root).ToArray()),
                ("path", batch.RemovedFiles.Select(f => f.RelativePath).ToArray())).ConfigureAwait(false);
        if (batch.Files.Count > 0)
        {
            // The last record of a (root, path) wins, as in the embedded store; ON CONFLICT cannot touch a row twice.
            var files = batch.Files.GroupBy(f => (f.Root, f.RelativePath)).Select(g => g.Last()).ToList();
            await ExecuteAsync(connection, $"""
                INSERT INTO "{_s}".files (root, relative_path, content_hash, document_ids)
                SELECT f.root, f.relative_path, f.content_hash, ARRAY(SELECT jsonb_array_elements_text(f.ids::jsonb))
                FROM unnest(@root, @path, @hash, @ids) AS f(root, relative_path, content_hash, ids)
                ON CONFLICT (root, relative_path) DO UPDATE SET content_hash = excluded.content_hash, document_ids = excluded.document_ids
                """, cancellationToken, ("root", files.Select(f => f.Root).ToArray()), ("path", files.Select(f => f.RelativePath).ToArray()),
                ("hash", files.Select(f => f.ContentHash).ToArray()), ("ids", files.Select(f => Json(f.DocumentIds)).ToArray())).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, $"""UPDATE "{_s}".kb_meta SET generation = generation + 1, vector_dimensions = @dims""",
            cancellationToken, ("dims", dimensions)).ConfigureAwait(false);
        return dimensions;
    }

    private async Task<int> WriteVectorsAsync(NpgsqlConnection connection, Rows rows, int dimensions, CancellationToken cancellationToken)
    {
        int size = rows.Vectors.Count > 0 ? rows.Vectors[0].Vector.Length : rows.RouteVectors[0].Vector.Length;
        foreach (var (id, vector, what) in rows.Vectors.Select(v => (v.Id, v.Vector, "chunk"))
                     .Concat(rows.RouteVectors.Select(v => (v.Id, v.Vector, "document-route entry"))))
            if (vector.Length != (dimensions == 0 ? size : dimensions))
                throw new KnowledgeException($"PostgreSQL knowledge base {_location.Describe()}: the embedding of {what} '{id}' has {vector.Length} dimensions; expected the index's {(dimensions == 0 ? size : dimensions)} (was the embedding model changed? create a new knowledge base for a new model)");
        if (dimensions == 0)
        {
            dimensions = size;
            var (opclass, _) = Operator(Options.VectorIndex.Metric);
            var hnsw = Options.VectorIndex.Hnsw;
            await ExecuteAsync(connection, PostgresSchema.CreateVectors(_s, dimensions, opclass, hnsw.M, hnsw.EfConstruction), cancellationToken).ConfigureAwait(false);
            if (Options.DocumentRoute is not null)
                await ExecuteAsync(connection, PostgresSchema.CreateDocumentVectors(_s, dimensions, opclass, hnsw.M, hnsw.EfConstruction), cancellationToken).ConfigureAwait(false);
        }
        await InsertVectorsAsync(connection, "vectors", "chunk_id", rows.Vectors, cancellationToken).ConfigureAwait(false);
        await InsertVectorsAsync(connection, "document_vectors", "document_id", rows.RouteVectors, cancellationToken).ConfigureAwait(false);
        return dimensions;
    }

    private async Task InsertVectorsAsync(NpgsqlConnection connection, string table, string idColumn, List<(string Id, float[] Vector)> vectors,
        CancellationToken cancellationToken)
    {
        // One round trip for the whole set: a batch of single-row inserts, each vector in pgvector's binary format.
        const int perBatch = 1000;
        foreach (var part in vectors.Chunk(perBatch))
        {
            await using var insert = new NpgsqlBatch(connection);
            foreach (var (id, vector) in part)
            {
                var command = new NpgsqlBatchCommand($"""INSERT INTO "{_s}".{table} ({idColumn}, embedding) VALUES ($1, $2)""");
                command.Parameters.Add(new NpgsqlParameter { Value = id });
                command.Parameters.Add(new NpgsqlParameter { Value = new Vector(vector) });
                insert.BatchCommands.Add(command);
            }
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The pgvector operator class and distance operator of a metric.</summary>
    internal static (string OpClass, string Operator) Operator(VectorMetric metric) => metric switch
    {
        VectorMetric.Cosine => ("vector_cosine_ops", "<=>"),
        VectorMetric.Dot => ("vector_ip_ops", "<#>"),
        VectorMetric.L2 => ("vector_l2_ops", "<->"),
        _ => throw new KnowledgeException($"PostgreSQL store: vector metric {metric} has no pgvector operator; expected cosine, dot or l2"),
    };

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, StoreJson.Compact);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
