// Routing by rules, first match wins: a case-insensitive regex or any of a list of keywords; otherwise the default target.
// A regex that times out (100 ms) on a question counts as no match, so the question goes on to the next rule or the default.
using System.Text.RegularExpressions;
using RagTune.Server.Configuration;

namespace RagTune.Server.Routing;

public sealed class RuleIntentRouter : IIntentRouter
{
    private readonly List<(Regex? Pattern, string[] Keywords, string Target)> _rules = [];
    private readonly string _default;

    public RuleIntentRouter(IEnumerable<RouteRule> rules, string defaultTarget)
    {
        foreach (var r in rules)
        {
            if (string.IsNullOrWhiteSpace(r.Target)) throw new ServerException("router rule: target is empty; expected a served model name");
            if (r.Pattern is null && r.Keywords.Count == 0)
                throw new ServerException($"router rule for '{r.Target}': neither pattern nor keywords is set; expected one of them");
            Regex? pattern;
            try
            {
                pattern = r.Pattern is null ? null : new Regex(r.Pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException e)
            {
                throw new ServerException($"router rule for '{r.Target}': pattern '{r.Pattern}' is not a valid regular expression ({e.Message})", e);
            }
            _rules.Add((pattern, r.Keywords.ToArray(), r.Target));
        }
        _default = defaultTarget;
    }

    public string Route(string question)
    {
        foreach (var (pattern, keywords, target) in _rules)
        {
            if (pattern is not null && Matches(pattern, question)) return target;
            if (keywords.Any(k => question.Contains(k, StringComparison.OrdinalIgnoreCase))) return target;
        }
        return _default;
    }

    // A pattern that runs past its time budget on a question (catastrophic backtracking) does not match it.
    private static bool Matches(Regex pattern, string question)
    {
        try
        {
            return pattern.IsMatch(question);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    public Task<string> RouteAsync(string question, CancellationToken cancellationToken) => Task.FromResult(Route(question));
}
