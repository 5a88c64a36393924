// Routes by keyword/regex rules: the union of the collections of every matching rule, in rule order; else the default.
namespace RagTune.Knowledge.Search;

/// <summary>
/// Rules naming unknown collections are an error at routing time (a typo should not silently route nowhere).
/// With no matching rule the default collections are used, or all collections when no default is given.
/// </summary>
public sealed class RuleRouter(IEnumerable<RoutingRule> rules, IEnumerable<string>? defaultCollections = null) : ICollectionRouter
{
    private readonly List<RoutingRule> _rules = rules?.ToList() ?? throw new ArgumentNullException(nameof(rules));
    private readonly List<string>? _default = defaultCollections?.ToList();

    public Task<IReadOnlyList<string>> RouteAsync(string query, IReadOnlyList<KnowledgeCollection> collections, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(collections);
        cancellationToken.ThrowIfCancellationRequested();
        var known = collections.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var chosen = new List<string>();
        foreach (var rule in _rules)
        {
            if (!rule.Matches(query)) continue;
            foreach (var name in rule.Collections)
            {
                if (!known.Contains(name))
                    throw new KnowledgeException($"rule router: rule {rule} names collection '{name}', expected one of: {string.Join(", ", known)}.");
                if (!chosen.Contains(name)) chosen.Add(name);
            }
        }
        if (chosen.Count == 0)
        {
            chosen = _default ?? collections.Select(c => c.Name).ToList();
            foreach (var name in chosen)
            {
                if (!known.Contains(name))
                    throw new KnowledgeException($"rule router: default collection '{name}' is unknown, expected one of: {string.Join(", ", known)}.");
            }
        }
        return Task.FromResult<IReadOnlyList<string>>(chosen);
    }
}
