// A predicate over a chunk's string metadata: equals / in / prefix on one key, combined with And / Or.
using System.Text;

namespace RagTune.Knowledge.Search;

/// <summary>
/// Immutable filter tree. A key that is missing from the metadata never matches a leaf
/// (so <c>Equal("lang", "")</c> does not select chunks without a language). Comparisons are ordinal.
/// </summary>
public abstract class MetadataFilter
{
    private protected MetadataFilter() { }

    public abstract bool Matches(IReadOnlyDictionary<string, string>? metadata);

    internal abstract T Accept<T>(IMetadataFilterVisitor<T> visitor);

    public static MetadataFilter Equal(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return new EqualFilter(key, value);
    }

    public static MetadataFilter In(string key, IEnumerable<string> values)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(values);
        return new InFilter(key, new HashSet<string>(values, StringComparer.Ordinal));
    }

    public static MetadataFilter Prefix(string key, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(prefix);
        return new PrefixFilter(key, prefix);
    }

    public static MetadataFilter And(params MetadataFilter[] filters) => Combine(filters, all: true);

    public static MetadataFilter Or(params MetadataFilter[] filters) => Combine(filters, all: false);

    public MetadataFilter And(MetadataFilter other) => And(this, other);

    public MetadataFilter Or(MetadataFilter other) => Or(this, other);

    private static MetadataFilter Combine(MetadataFilter[] filters, bool all)
    {
        ArgumentNullException.ThrowIfNull(filters);
        if (filters.Length == 0)
            throw new ArgumentException("And/Or needs at least one filter.", nameof(filters));
        foreach (var f in filters) ArgumentNullException.ThrowIfNull(f, nameof(filters));
        return filters.Length == 1 ? filters[0] : new CompositeFilter(filters.ToArray(), all);
    }

    private static bool TryGet(IReadOnlyDictionary<string, string>? metadata, string key, out string value)
    {
        value = "";
        return metadata is not null && metadata.TryGetValue(key, out value!) && value is not null;
    }

    private sealed class EqualFilter(string key, string value) : MetadataFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string>? metadata) =>
            TryGet(metadata, key, out var v) && string.Equals(v, value, StringComparison.Ordinal);

        internal override T Accept<T>(IMetadataFilterVisitor<T> visitor) => visitor.Equal(key, value);

        public override string ToString() => $"{key} = \"{value}\"";
    }

    private sealed class InFilter(string key, HashSet<string> values) : MetadataFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string>? metadata) =>
            TryGet(metadata, key, out var v) && values.Contains(v);

        internal override T Accept<T>(IMetadataFilterVisitor<T> visitor) => visitor.In(key, values);

        public override string ToString() => $"{key} in [{string.Join(", ", values.Order(StringComparer.Ordinal).Select(v => $"\"{v}\""))}]";
    }

    private sealed class PrefixFilter(string key, string prefix) : MetadataFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string>? metadata) =>
            TryGet(metadata, key, out var v) && v.StartsWith(prefix, StringComparison.Ordinal);

        internal override T Accept<T>(IMetadataFilterVisitor<T> visitor) => visitor.Prefix(key, prefix);

        public override string ToString() => $"{key} starts with \"{prefix}\"";
    }

    private sealed class CompositeFilter(MetadataFilter[] parts, bool all) : MetadataFilter
    {
        public override bool Matches(IReadOnlyDictionary<string, string>? metadata) =>
            all ? parts.All(p => p.Matches(metadata)) : parts.Any(p => p.Matches(metadata));

        internal override T Accept<T>(IMetadataFilterVisitor<T> visitor) => visitor.Combine(parts, all);

        public override string ToString()
        {
            var sb = new StringBuilder("(");
            for (int i = 0; i < parts.Length; i++)
            {
                if (i > 0) sb.Append(all ? " AND " : " OR ");
                sb.Append(parts[i]);
            }
            return sb.Append(')').ToString();
        }
    }
}
