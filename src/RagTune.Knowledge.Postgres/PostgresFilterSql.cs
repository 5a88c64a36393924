// Translates a MetadataFilter into a SQL condition over a jsonb metadata column, so both PostgreSQL routes filter inside
// the ranking query. Keys and values travel as parameters; only parameter names and operators are put in the SQL text.
using System.Text;
using Npgsql;
using NpgsqlTypes;
using RagTune.Knowledge.Search;
using RagTune.Knowledge.Store;

namespace RagTune.Knowledge.Postgres;

/// <remarks>
/// Same semantics as <see cref="MetadataFilter.Matches"/>: <c>metadata ->> key</c> is NULL for a missing key (or a JSON
/// null), and every leaf is wrapped in <c>coalesce(…, false)</c> so a missing key is false, never unknown. Comparisons run
/// under <c>COLLATE "C"</c>, which compares bytes: UTF-8 byte equality and prefixes are ordinal string equality and prefixes.
/// </remarks>
internal sealed class PostgresFilterSql : IMetadataFilterVisitor<string>
{
    private readonly NpgsqlParameterCollection _parameters;
    private readonly string _column;
    private int _next;

    private PostgresFilterSql(NpgsqlParameterCollection parameters, string column)
    {
        _parameters = parameters;
        _column = column;
    }

    /// <summary>The condition for <paramref name="filter"/> on <paramref name="column"/> (a jsonb expression such as
    /// <c>f.metadata</c>); its parameters (named <c>mf0</c>, <c>mf1</c>, …) are added to <paramref name="parameters"/>.</summary>
    public static string Condition(MetadataFilter filter, string column, NpgsqlParameterCollection parameters)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return filter.Accept(new PostgresFilterSql(parameters, column));
    }

    private string Add(object value, NpgsqlDbType type)
    {
        string name = $"mf{_next++}";
        _parameters.Add(new NpgsqlParameter(name, type) { Value = value });
        return "@" + name;
    }

    private string Field(string key) => $"({_column} ->> {Add(key, NpgsqlDbType.Text)})";

    public string Equal(string key, string value) =>
        $"coalesce({Field(key)} COLLATE \"C\" = {Add(value, NpgsqlDbType.Text)}, false)";

    public string In(string key, IReadOnlyCollection<string> values) =>
        $"coalesce({Field(key)} COLLATE \"C\" = ANY({Add(values.ToArray(), NpgsqlDbType.Array | NpgsqlDbType.Text)}), false)";

    public string Prefix(string key, string prefix) =>
        $"coalesce(starts_with({Field(key)} COLLATE \"C\", {Add(prefix, NpgsqlDbType.Text)}), false)";

    public string Combine(IReadOnlyList<MetadataFilter> parts, bool all)
    {
        var sql = new StringBuilder("(");
        for (int i = 0; i < parts.Count; i++)
        {
            if (i > 0) sql.Append(all ? " AND " : " OR ");
            sql.Append(parts[i].Accept(this));
        }
        return sql.Append(')').ToString();
    }
}
