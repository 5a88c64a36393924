// Where a PostgreSQL knowledge base lives: a connection string and the schema that holds its tables.
using System.Text.RegularExpressions;
using Npgsql;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

/// <remarks>
/// Each knowledge base is one schema, so a database can hold several. Put the password in PGPASSWORD or a pgpass file
/// rather than in <see cref="ConnectionString"/> when the string is saved (the directory link of <c>ragtune kb create
/// --store postgres</c> stores it as given).
/// </remarks>
public sealed partial record PostgresStoreOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Database=rag;Username=rag</c>.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>The schema (created when missing); lower-case letters, digits and '_', starting with a letter or '_'.</summary>
    public string Schema { get; init; } = "ragtune";

    /// <summary>How long an operation keeps retrying after a transient failure (a restarted or unreachable server, a
    /// dropped connection, a deadlock) before it reports the error.</summary>
    public TimeSpan ReconnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex SchemaName();

    internal NpgsqlConnectionStringBuilder Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new KnowledgeException("PostgreSQL store: the connection string is empty; expected e.g. \"Host=localhost;Database=rag;Username=rag\"");
        if (!SchemaName().IsMatch(Schema ?? ""))
            throw new KnowledgeException($"PostgreSQL store: schema name '{Schema}' is not allowed; expected lower-case letters, digits and '_' (at most 63, not starting with a digit)");
        if (ReconnectTimeout < TimeSpan.Zero)
            throw new KnowledgeException($"PostgreSQL store: ReconnectTimeout is {ReconnectTimeout}; expected zero or more");
        try
        {
            return new NpgsqlConnectionStringBuilder(ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new KnowledgeException($"PostgreSQL store: the connection string is invalid ({e.Message}); expected Npgsql's Key=Value;... form", e);
        }
    }

    /// <summary>Host, port, database and schema, without credentials (for messages).</summary>
    internal string Describe()
    {
        var b = new NpgsqlConnectionStringBuilder(ConnectionString);
        return $"postgresql://{b.Host}:{b.Port}/{b.Database ?? b.Username} schema {Schema}";
    }
}
