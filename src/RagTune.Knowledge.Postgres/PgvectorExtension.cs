// pgvector ('vector'), the extension dense retrieval needs: created with the knowledge base when it is installed on the
// server, and otherwise one error that names it and says what to do (a BM25-only knowledge base does not need it).
using Npgsql;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal static class PgvectorExtension
{
    public const string Name = "vector";

    /// <summary>Creates the extension in the database unless it is there; throws a KnowledgeException naming what is missing.</summary>
    public static async Task EnsureAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PostgresStoreOptions location,
        EmbeddingSettings embedding, CancellationToken cancellationToken)
    {
        await using var probe = new NpgsqlCommand(
            "SELECT (SELECT installed_version FROM pg_available_extensions WHERE name = @n), "
            + "EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = @n), current_setting('server_version_num')::integer / 10000, current_database()",
            connection, transaction);
        probe.Parameters.AddWithValue("n", Name);
        await using var reader = await probe.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        bool installed = !reader.IsDBNull(0), available = reader.GetBoolean(1);
        int major = reader.GetInt32(2);
        string database = reader.GetString(3);
        await reader.DisposeAsync().ConfigureAwait(false);
        if (installed) return;
        string why = $"dense retrieval (embedding {embedding.Kind.ToString().ToLowerInvariant()} '{embedding.ModelDirectory ?? embedding.Model}') needs the pgvector extension ('{Name}')";
        string bm25 = "or create a BM25-only knowledge base (no embedding settings: without --embedding-model/--embedding-model-dir), which runs on a stock server";
        if (!available)
            throw new KnowledgeException($"PostgreSQL knowledge base {location.Describe()}: {why}, which this PostgreSQL {major} server does not have; "
                + $"install pgvector on the database server (Debian/Ubuntu: apt install postgresql-{major}-pgvector; see docs/postgres.md), {bm25}");
        // Installed on the server but not in this database: CREATE EXTENSION needs the right to create it here.
        await using var create = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", connection, transaction);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new KnowledgeException($"PostgreSQL knowledge base {location.Describe()}: {why}, and this role may not create it ({e.MessageText}); "
                + $"have a superuser or the database owner run CREATE EXTENSION vector; in database \"{database}\" once, {bm25}", e);
        }
    }
}
