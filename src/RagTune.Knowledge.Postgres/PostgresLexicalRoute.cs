// BM25 computed in SQL: the query is analysed in C# by the store's analyzer, and PostgreSQL scores the postings of its
// terms with the embedded index's formula (Lucene idf, k1, b, exact token counts), so both stores rank alike. The same
// query serves the chunk index (postings → chunks) and the document route (document_postings → document_route).
using Npgsql;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

internal sealed class PostgresLexicalRoute(PostgresKnowledgeStore store, bool documents = false) : PostgresScopedRoute(documents)
{
    public override string Name => "bm25";

    protected override async Task<IReadOnlyList<SearchHit>> RankAsync(string query, int k, IReadOnlyCollection<string>? scope, MetadataFilter? filter,
        CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var t in store.Analyzer.Analyze(query))
        {
            if (!counts.ContainsKey(t.Term)) order.Add(t.Term);
            counts[t.Term] = counts.GetValueOrDefault(t.Term) + 1;
        }
        if (order.Count == 0) return [];
        string s = store.Schema;
        // Chunks keep N and the total length in kb_meta; the document route counts them from its table.
        var (postings, id, stats, hits) = Documents
            ? ("document_postings", "document_id",
               $"""SELECT count(*)::float8 AS n, avg(lexical_length)::float8 AS avgdl FROM "{s}".document_route HAVING count(*) > 0""",
               $"""SELECT r.document_id, sc.score, r.text, d.metadata::text FROM sc JOIN "{s}".document_route r ON r.document_id = sc.id JOIN "{s}".documents d ON d.id = r.document_id ORDER BY round(sc.score * 1e9) DESC, r.document_id""")
            : ("postings", "chunk_id",
               $"""SELECT lexical_docs::float8 AS n, lexical_length::float8 / lexical_docs AS avgdl FROM "{s}".kb_meta WHERE lexical_docs > 0""",
               $"""SELECT c.id, sc.score, c.text, c.metadata::text FROM sc JOIN "{s}".chunks c ON c.id = sc.id ORDER BY round(sc.score * 1e9) DESC, c.id""");
        // score = Σ qtf·idf·(k1+1) · tf / (tf + k1·(1 − b + b·len/avgdl)), idf = ln(1 + (N − df + 0.5)/(df + 0.5)).
        // Sums may add terms in another order than the embedded index: ties are broken on the score rounded to 1e-9,
        // then by id, so rounding noise cannot reorder equal scores.
        string Sql(string where) => $"""
            WITH q AS (SELECT * FROM unnest(@terms::text[], @qtf::integer[]) AS q(term, qtf)),
            st AS ({stats}),
            w AS (SELECT q.term, q.qtf * ln(1 + (st.n - d.df + 0.5) / (d.df + 0.5)) * (@k1 + 1) AS weight
                  FROM q CROSS JOIN st
                  CROSS JOIN LATERAL (SELECT count(*)::float8 AS df FROM "{s}".{postings} p WHERE p.term = q.term COLLATE "C") d
                  WHERE d.df > 0),
            sc AS (SELECT p.{id} AS id, sum(w.weight * p.tf / (p.tf + @k1 * (1 - @b + @b * p.length / st.avgdl))) AS score
                   FROM w JOIN "{s}".{postings} p ON p.term = w.term COLLATE "C" CROSS JOIN st
                   {where}
                   GROUP BY p.{id}
                   ORDER BY round(sum(w.weight * p.tf / (p.tf + @k1 * (1 - @b + @b * p.length / st.avgdl))) * 1e9) DESC, p.{id}
                   LIMIT @limit)
            {hits}
            """;
        var terms = order.ToArray();
        var qtf = order.Select(t => counts[t]).ToArray();
        double k1 = store.Options.Lexical.K1, b = store.Options.Lexical.B;
        return await store.GuardAsync("BM25 search", async connection =>
        {
            await using var command = new NpgsqlCommand(null, connection);
            // Filters are on chunk metadata: the document route ranks documents unfiltered.
            command.CommandText = Sql(Documents ? "" : PostgresRoutes.Where(
                PostgresRoutes.ChunkCondition(s, "p.chunk_id", filter, command),
                PostgresRoutes.ScopeCondition(s, "p.chunk_id", scope, command)));
            command.Parameters.AddWithValue("terms", terms);
            command.Parameters.AddWithValue("qtf", qtf);
            command.Parameters.AddWithValue("k1", k1);
            command.Parameters.AddWithValue("b", b);
            command.Parameters.AddWithValue("limit", k);
            return (IReadOnlyList<SearchHit>)await PostgresRoutes.ReadHitsAsync(command, Name, cancellationToken).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
