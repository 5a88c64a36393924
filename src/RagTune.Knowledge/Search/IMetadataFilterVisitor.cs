// Walks a MetadataFilter tree without exposing its node types, so a store can translate a filter into its own query
// language (the PostgreSQL store turns it into a jsonb WHERE clause) with the same semantics as MetadataFilter.Matches.
namespace RagTune.Knowledge.Search;

internal interface IMetadataFilterVisitor<out T>
{
    /// <summary>The value under <paramref name="key"/> exists and equals <paramref name="value"/> (ordinal).</summary>
    T Equal(string key, string value);

    /// <summary>The value under <paramref name="key"/> exists and is one of <paramref name="values"/> (none: never).</summary>
    T In(string key, IReadOnlyCollection<string> values);

    /// <summary>The value under <paramref name="key"/> exists and starts with <paramref name="prefix"/> (ordinal).</summary>
    T Prefix(string key, string prefix);

    /// <summary>All of <paramref name="parts"/> (<paramref name="all"/>) or any of them.</summary>
    T Combine(IReadOnlyList<MetadataFilter> parts, bool all);
}
