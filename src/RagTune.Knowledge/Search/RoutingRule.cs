// One rule of the rule router: when the query matches, search these collections.
using System.Text.RegularExpressions;

namespace RagTune.Knowledge.Search;

public sealed class RoutingRule
{
    private readonly Func<string, bool> _matches;
    private readonly string _description;

    private RoutingRule(Func<string, bool> matches, string description, IReadOnlyList<string> collections)
    {
        if (collections.Count == 0) throw new ArgumentException("A rule needs at least one collection.", nameof(collections));
        _matches = matches;
        _description = description;
        Collections = collections;
    }

    public IReadOnlyList<string> Collections { get; }

    public bool Matches(string query) => _matches(query);

    /// <summary>Matches when the query contains any keyword (case-insensitive substring, so it works for Chinese too).</summary>
    public static RoutingRule Keywords(IEnumerable<string> keywords, params string[] collections)
    {
        var list = keywords.Where(k => !string.IsNullOrWhiteSpace(k)).ToArray();
        if (list.Length == 0) throw new ArgumentException("A keyword rule needs at least one keyword.", nameof(keywords));
        return new RoutingRule(q => list.Any(k => q.Contains(k, StringComparison.OrdinalIgnoreCase)),
            $"keywords [{string.Join(", ", list)}]", collections);
    }

    /// <summary>Matches when the regular expression finds a match (case-insensitive unless the pattern says otherwise).</summary>
    public static RoutingRule Pattern(string regex, params string[] collections)
    {
        var re = new Regex(regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return new RoutingRule(re.IsMatch, $"pattern /{regex}/", collections);
    }

    public override string ToString() => $"{_description} → {string.Join(", ", Collections)}";
}
