// What the PostgreSQL routes share: reading hits (id, score, text, metadata) and the WHERE clause of a metadata filter,
// applied inside the ranking query so that the top k rows are the top k matching chunks.
using Npgsql;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal static class PostgresRoutes
{
    /// <summary>The condition that keeps the rows whose <paramref name="idColumn"/> names a chunk passing
    /// <paramref name="filter"/> (null without a filter); its parameters are added to <paramref name="command"/>.</summary>
    public static string? ChunkCondition(string schema, string idColumn, MetadataFilter? filter, NpgsqlCommand command) =>
        filter is null ? null
            : $"""{idColumn} IN (SELECT f.id FROM "{schema}".chunks f WHERE {PostgresFilterSql.Condition(filter, "f.metadata", command.Parameters)})""";

    /// <summary>The condition that keeps chunk ids of the documents in the parameter @scope (hierarchical search), or null.</summary>
    public static string? ScopeCondition(string schema, string idColumn, IReadOnlyCollection<string>? documentIds, NpgsqlCommand command)
    {
        if (documentIds is null) return null;
        command.Parameters.AddWithValue("scope", documentIds.ToArray());
        return $"""{idColumn} IN (SELECT sc.id FROM "{schema}".chunks sc WHERE sc.document_id = ANY(@scope))""";
    }

    /// <summary>A WHERE clause joining the conditions given (nulls skipped), or empty.</summary>
    public static string Where(params string?[] conditions)
    {
        var present = conditions.OfType<string>().ToList();
        return present.Count == 0 ? "" : "WHERE " + string.Join(" AND ", present);
    }

    public static async Task<List<SearchHit>> ReadHitsAsync(NpgsqlCommand command, string route, CancellationToken cancellationToken)
    {
        var hits = new List<SearchHit>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            hits.Add(new SearchHit(reader.GetString(0), reader.GetDouble(1), route,
                PostgresKnowledgeStore.ParseMetadata(reader.GetString(3)), reader.GetString(2)));
        return hits;
    }
}
