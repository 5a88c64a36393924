// What the PostgreSQL routes share: reading hits (id, score, text, metadata) and the WHERE clause of a metadata filter,
// applied inside the ranking query so that the top k rows are the top k matching chunks.
using Npgsql;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal static class PostgresRoutes
{
    /// <summary>The WHERE clause that keeps the rows whose <paramref name="idColumn"/> names a chunk passing
    /// <paramref name="filter"/> (empty without a filter); its parameters are added to <paramref name="command"/>.</summary>
    public static string ChunkFilter(string schema, string idColumn, MetadataFilter? filter, NpgsqlCommand command) =>
        filter is null ? ""
            : $"""WHERE {idColumn} IN (SELECT f.id FROM "{schema}".chunks f WHERE {PostgresFilterSql.Condition(filter, "f.metadata", command.Parameters)})""";

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
