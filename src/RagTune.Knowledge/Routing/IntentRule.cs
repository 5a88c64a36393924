// One rule of a RuleIntentRouter: a case-insensitive regular expression and/or keywords that send a message to a route.
// A pattern that runs past its time budget on a message (catastrophic backtracking) does not match it.
using System.Text.RegularExpressions;

namespace RagTune.Knowledge.Routing;

public sealed class IntentRule
{
    /// <summary>The time a pattern may take on one message before it counts as no match.</summary>
    public static readonly TimeSpan DefaultMatchTimeout = TimeSpan.FromMilliseconds(100);

    private readonly Regex? _pattern;
    private readonly string[] _keywords;

    /// <param name="route">The route a matching message goes to.</param>
    /// <param name="pattern">A .NET regular expression, tested case-insensitively; null = keywords only.</param>
    /// <param name="keywords">Any of these (case-insensitive substring, so Chinese works without segmentation) matches.</param>
    /// <param name="matchTimeout">Budget of the pattern per message; default <see cref="DefaultMatchTimeout"/>.</param>
    /// <exception cref="KnowledgeException">The route is empty, neither a pattern nor a keyword is given, or the pattern is invalid.</exception>
    public IntentRule(string route, string? pattern = null, IEnumerable<string>? keywords = null, TimeSpan? matchTimeout = null)
    {
        if (string.IsNullOrWhiteSpace(route)) throw new KnowledgeException("intent rule: the route is empty; expected a route name");
        Route = route;
        _keywords = keywords?.Where(k => !string.IsNullOrEmpty(k)).ToArray() ?? [];
        if (pattern is null && _keywords.Length == 0)
            throw new KnowledgeException($"intent rule for '{route}': neither pattern nor keywords is set; expected one of them");
        try
        {
            _pattern = pattern is null ? null
                : new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeout ?? DefaultMatchTimeout);
        }
        catch (ArgumentException e)
        {
            throw new KnowledgeException($"intent rule for '{route}': pattern '{pattern}' is not a valid regular expression ({e.Message})", e);
        }
    }

    /// <summary>A rule that matches when the regular expression finds a match.</summary>
    public static IntentRule Pattern(string pattern, string route, TimeSpan? matchTimeout = null) =>
        new(route, pattern ?? throw new ArgumentNullException(nameof(pattern)), null, matchTimeout);

    /// <summary>A rule that matches when the message contains any of the keywords.</summary>
    public static IntentRule Keywords(IEnumerable<string> keywords, string route) =>
        new(route, null, keywords ?? throw new ArgumentNullException(nameof(keywords)));

    public string Route { get; }

    public string? PatternText => _pattern?.ToString();

    public IReadOnlyList<string> KeywordList => _keywords;

    /// <summary>Whether the pattern (within its time budget) or any keyword matches.</summary>
    public bool Matches(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_pattern is not null && PatternMatches(_pattern, message)) return true;
        return _keywords.Any(k => message.Contains(k, StringComparison.OrdinalIgnoreCase));
    }

    private static bool PatternMatches(Regex pattern, string message)
    {
        try
        {
            return pattern.IsMatch(message);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    public override string ToString() =>
        $"{(_pattern is null ? "" : $"/{_pattern}/ ")}{(_keywords.Length == 0 ? "" : $"[{string.Join(", ", _keywords)}] ")}→ {Route}";
}
