// The dense route of the PostgreSQL store: the query vector is sent in pgvector's binary format (Pgvector), and the
// rows come back ordered by the metric's distance operator (HNSW index scan, or an exact scan for the exact kind). The
// same query serves the chunk vectors and the document route's vectors (document_vectors).
using Microsoft.Extensions.AI;
using Npgsql;
using Pgvector;
using RagTune.Knowledge.Dense;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal sealed class PostgresDenseRoute(PostgresKnowledgeStore store, IEmbeddingGenerator<string, Embedding<float>> embedder, int dimensions,
    bool documents = false) : PostgresScopedRoute(documents)
{
    // pgvector's limit for hnsw.ef_search; an HNSW scan returns at most this many rows.
    private const int MaxEfSearch = 1000;

    public override string Name => "dense";

    protected override async Task<IReadOnlyList<SearchHit>> RankAsync(string query, int k, IReadOnlyCollection<string>? scope, MetadataFilter? filter,
        CancellationToken cancellationToken)
    {
        var embeddings = await embedder.GenerateAsync([query], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (embeddings.Count != 1)
            throw new KnowledgeException($"route '{Name}': the embedding generator returned {embeddings.Count} vectors for one query, expected 1.");
        float[] vector = embeddings[0].Vector.ToArray();
        if (vector.Length != dimensions)
            throw new KnowledgeException($"route '{Name}': the query embedding has {vector.Length} dimensions, expected the index's {dimensions} (same model for indexing and queries?).");
        var settings = store.Options.VectorIndex;
        var (_, op) = PostgresKnowledgeStore.Operator(settings.Metric);
        // Higher is better everywhere: cosine similarity = 1 − distance, inner product = −(<#>), L2 = −distance.
        string score = settings.Metric switch
        {
            VectorMetric.Cosine => $"1 - (v.embedding {op} @q)",
            _ => $"-(v.embedding {op} @q)",
        };
        string s = store.Schema;
        string Sql(string where) => Documents
            ? $"""
              SELECT d.id, {score} AS score, r.text, d.metadata::text
              FROM (SELECT document_id, embedding FROM "{s}".document_vectors ORDER BY embedding {op} @q LIMIT @limit) v
              JOIN "{s}".documents d ON d.id = v.document_id JOIN "{s}".document_route r ON r.document_id = v.document_id
              ORDER BY v.embedding {op} @q, d.id
              """
            : $"""
              SELECT c.id, {score} AS score, c.text, c.metadata::text
              FROM (SELECT chunk_id, embedding FROM "{s}".vectors {where} ORDER BY embedding {op} @q LIMIT @limit) v
              JOIN "{s}".chunks c ON c.id = v.chunk_id
              ORDER BY v.embedding {op} @q, c.id
              """;
        // An HNSW scan returns at most ef_search rows unless it may iterate (pgvector >= 0.8); past that, scan exactly.
        // Within a few documents the candidates are few: score them all.
        bool exact = settings.Kind == VectorIndexKind.Exact || (k > MaxEfSearch && !store.IterativeScan) || scope is not null;
        if (Documents) filter = null;  // filters are on chunk metadata: the document route ranks documents unfiltered
        var hits = await SearchAsync(k, exact, filter, scope, vector, Sql, cancellationToken).ConfigureAwait(false);
        // pgvector filters the rows an HNSW scan yields: a selective filter can leave fewer than k of them (ef_search
        // candidates, or hnsw.max_scan_tuples when iterating). Then the exact scan gives the true top k.
        if (!exact && filter is not null && hits.Count < k)
            hits = await SearchAsync(k, exact: true, filter, scope, vector, Sql, cancellationToken).ConfigureAwait(false);
        return hits;
    }

    private Task<List<SearchHit>> SearchAsync(int k, bool exact, MetadataFilter? filter, IReadOnlyCollection<string>? scope, float[] vector,
        Func<string, string> sql, CancellationToken cancellationToken) =>
        store.GuardAsync("dense search", async connection =>
        {
            // Settings are local to a transaction; a read-only one holds no locks that a writer would wait for.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            string efSearch = Math.Clamp(Math.Max(store.Options.VectorIndex.Hnsw.EfSearch, k), 1, MaxEfSearch).ToString(System.Globalization.CultureInfo.InvariantCulture);
            string setting = exact
                ? "SELECT set_config('enable_indexscan', 'off', true)"
                : $"SELECT set_config('hnsw.ef_search', '{efSearch}', true)"
                  + (store.IterativeScan && filter is not null ? ", set_config('hnsw.iterative_scan', 'strict_order', true)" : "");
            await using (var set = new NpgsqlCommand(setting, connection, transaction))
                await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await using var command = new NpgsqlCommand(null, connection, transaction);
            command.CommandText = sql(PostgresRoutes.Where(
                PostgresRoutes.ChunkCondition(store.Schema, "chunk_id", filter, command),
                PostgresRoutes.ScopeCondition(store.Schema, "chunk_id", scope, command)));
            command.Parameters.AddWithValue("q", new Vector(vector));
            command.Parameters.AddWithValue("limit", k);
            var hits = await PostgresRoutes.ReadHitsAsync(command, Name, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return hits;
        }, cancellationToken);
}
