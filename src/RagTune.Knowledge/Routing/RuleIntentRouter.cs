// Routing by rules, first match wins: each rule's case-insensitive regex or keywords; no match = no decision (the next
// router in the chain, else the default route, decides).
namespace RagTune.Knowledge.Routing;

public sealed class RuleIntentRouter : IIntentRouter
{
    private readonly IntentRule[] _rules;

    public RuleIntentRouter(params IEnumerable<IntentRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _rules = rules.ToArray();
        if (_rules.Any(r => r is null)) throw new ArgumentException("A rule router holds no null rule.", nameof(rules));
    }

    public IReadOnlyList<IntentRule> Rules => _rules;

    /// <summary>The route of the first rule that matches, or null.</summary>
    public string? Route(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return _rules.FirstOrDefault(r => r.Matches(message))?.Route;
    }

    public Task<string?> RouteAsync(string message, IReadOnlyList<IntentRoute> routes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Route(message));
    }
}
