// BM25 computed in SQL: the query is analysed in C# by the store's analyzer, and PostgreSQL scores the postings of its
// terms with the embedded index's formula (Lucene idf, k1, b, exact token counts), so both stores rank alike.
using Npgsql;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal sealed class PostgresLexicalRoute(PostgresKnowledgeStore store) : ISearchRoute
{
    public string Name => "bm25";

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        if (k == 0) return [];
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var t in store.Analyzer.Analyze(query))
        {
            if (!counts.ContainsKey(t.Term)) order.Add(t.Term);
            counts[t.Term] = counts.GetValueOrDefault(t.Term) + 1;
        }
        if (order.Count == 0) return [];
        string s = store.Schema;
        // score = Σ qtf·idf·(k1+1) · tf / (tf + k1·(1 − b + b·len/avgdl)), idf = ln(1 + (N − df + 0.5)/(df + 0.5)).
        // Sums may add terms in another order than the embedded index: ties are broken on the score rounded to 1e-9,
        // then by id, so rounding noise cannot reorder equal scores.
        string Sql(string filterClause) => $"""
            WITH q AS (SELECT * FROM unnest(@terms::text[], @qtf::integer[]) AS q(term, qtf)),
            st AS (SELECT lexical_docs::float8 AS n, lexical_length::float8 / lexical_docs AS avgdl FROM "{s}".kb_meta WHERE lexical_docs > 0),
            w AS (SELECT q.term, q.qtf * ln(1 + (st.n - d.df + 0.5) / (d.df + 0.5)) * (@k1 + 1) AS weight
                  FROM q CROSS JOIN st
                  CROSS JOIN LATERAL (SELECT count(*)::float8 AS df FROM "{s}".postings p WHERE p.term = q.term COLLATE "C") d
                  WHERE d.df > 0),
            sc AS (SELECT p.chunk_id, sum(w.weight * p.tf / (p.tf + @k1 * (1 - @b + @b * p.length / st.avgdl))) AS score
                   FROM w JOIN "{s}".postings p ON p.term = w.term COLLATE "C" CROSS JOIN st
                   {filterClause}
                   GROUP BY p.chunk_id
                   ORDER BY round(sum(w.weight * p.tf / (p.tf + @k1 * (1 - @b + @b * p.length / st.avgdl))) * 1e9) DESC, p.chunk_id
                   LIMIT @limit)
            SELECT c.id, sc.score, c.text, c.metadata::text FROM sc JOIN "{s}".chunks c ON c.id = sc.chunk_id
            ORDER BY round(sc.score * 1e9) DESC, c.id
            """;
        var terms = order.ToArray();
        var qtf = order.Select(t => counts[t]).ToArray();
        double k1 = store.Options.Lexical.K1, b = store.Options.Lexical.B;
        return await store.GuardAsync("BM25 search", async connection =>
        {
            await using var command = new NpgsqlCommand(null, connection);
            string filterClause = PostgresRoutes.ChunkFilter(s, "p.chunk_id", filter, command);
            command.CommandText = Sql(filterClause);
            command.Parameters.AddWithValue("terms", terms);
            command.Parameters.AddWithValue("qtf", qtf);
            command.Parameters.AddWithValue("k1", k1);
            command.Parameters.AddWithValue("b", b);
            command.Parameters.AddWithValue("limit", k);
            return (IReadOnlyList<SearchHit>)await PostgresRoutes.ReadHitsAsync(command, Name, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
