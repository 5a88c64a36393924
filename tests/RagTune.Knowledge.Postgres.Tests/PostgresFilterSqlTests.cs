// The SQL form of a MetadataFilter, run by PostgreSQL (PGlite) over jsonb rows, selects exactly the rows that
// MetadataFilter.Matches selects: missing keys, JSON nulls, empty sets and prefixes, case, Chinese text, nesting.
using Npgsql;
using NpgsqlTypes;
using RagTune.Knowledge.Search;
using Xunit;
using static RagTune.Knowledge.Postgres.Tests.PostgresStoreTestKit;

namespace RagTune.Knowledge.Postgres.Tests;

[Collection(PgliteCollection.Name)]
public sealed class PostgresFilterSqlTests(PgliteServer server)
{
    private static readonly string[] Rows =
    [
        """{}""",
        """{"lang": null}""",
        """{"lang": ""}""",
        """{"lang": "en", "source": "notes/a.txt"}""",
        """{"lang": "EN", "source": "Notes/b.txt"}""",
        """{"lang": "zh", "source": "知识/库.md", "category": "drinks"}""",
        """{"lang": "zh-Hans", "source": "知识库.md", "category": "food"}""",
        """{"source": "notes", "category": "drinks"}""",
        """{"source": "notes/", "category": "it's \"quoted\"; DROP TABLE x"}""",
    ];

    private static readonly MetadataFilter[] Filters =
    [
        MetadataFilter.Equal("lang", "en"),
        MetadataFilter.Equal("lang", ""),
        MetadataFilter.Equal("category", "it's \"quoted\"; DROP TABLE x"),
        MetadataFilter.In("lang", ["zh", "en", "fr"]),
        MetadataFilter.In("lang", []),
        MetadataFilter.Prefix("source", "notes/"),
        MetadataFilter.Prefix("source", ""),
        MetadataFilter.Prefix("source", "知识"),
        MetadataFilter.Prefix("lang", "zh-"),
        MetadataFilter.Equal("missing", "x").Or(MetadataFilter.Prefix("missing", "")),
        MetadataFilter.And(MetadataFilter.Prefix("source", "notes"), MetadataFilter.Equal("category", "drinks")),
        MetadataFilter.Or(MetadataFilter.Equal("lang", "EN"),
            MetadataFilter.And(MetadataFilter.In("category", ["drinks", "food"]), MetadataFilter.Prefix("lang", "zh"))),
    ];

    [Fact]
    public async Task Postgres_selects_the_rows_that_Matches_selects()
    {
        await using var source = NpgsqlDataSource.Create(server.ConnectionString);
        await using var connection = await source.OpenConnectionAsync(Ct);
        foreach (var filter in Filters)
        {
            var expected = Enumerable.Range(0, Rows.Length)
                .Where(i => filter.Matches(PostgresKnowledgeStore.ParseMetadata(Rows[i]))).ToList();
            await using var command = new NpgsqlCommand(null, connection);
            string condition = PostgresFilterSql.Condition(filter, "m.metadata", command.Parameters);
            Assert.DoesNotContain("drinks", condition);
            command.CommandText = $"SELECT (m.i - 1)::integer FROM unnest(@rows::jsonb[]) WITH ORDINALITY AS m(metadata, i) WHERE {condition} ORDER BY m.i";
            command.Parameters.Add(new NpgsqlParameter("rows", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = Rows });
            var actual = new List<int>();
            await using (var reader = await command.ExecuteReaderAsync(Ct))
                while (await reader.ReadAsync(Ct)) actual.Add(reader.GetInt32(0));
            Assert.True(expected.SequenceEqual(actual), $"{filter}: expected rows [{string.Join(',', expected)}], PostgreSQL gave [{string.Join(',', actual)}]");
        }
        Assert.Contains(Filters, f => Rows.Count(r => f.Matches(PostgresKnowledgeStore.ParseMetadata(r))) > 1);
    }
}
