// What the PostgreSQL routes share: reading hits (id, score, text, metadata) and applying a metadata filter while
// still returning k hits, by asking the database for more ranked rows until k pass or the ranking is exhausted.
using Npgsql;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Store.Postgres;

internal static class PostgresRoutes
{
    /// <summary>Rows asked for per filtered round, as a multiple of k; each further round asks for four times more.</summary>
    private const int FilterOverfetch = 4;

    /// <remarks>
    /// <see cref="MetadataFilter"/> is an opaque predicate, so it runs here on the ranked rows rather than in SQL. The
    /// result is exact: a round that returns fewer rows than asked has seen the whole ranking.
    /// </remarks>
    public static async Task<IReadOnlyList<SearchHit>> FilteredTopKAsync(int k, MetadataFilter? filter,
        Func<int, Task<List<SearchHit>>> ranked)
    {
        if (filter is null) return await ranked(k).ConfigureAwait(false);
        for (long limit = Math.Max(32, (long)k * FilterOverfetch); ; limit *= FilterOverfetch)
        {
            int asked = (int)Math.Min(limit, int.MaxValue);
            var rows = await ranked(asked).ConfigureAwait(false);
            var kept = rows.Where(h => filter.Matches(h.Metadata)).Take(k).ToList();
            if (kept.Count == k || rows.Count < asked || asked == int.MaxValue) return kept;
        }
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
