// A router entry of the server config as the library's intent routers: the classifier (when set) asked first, then the
// rules in order (first match wins, a regex that times out counts as no match); the router's default decides the rest.
using Microsoft.Extensions.AI;
using RagTune.Knowledge;
using RagTune.Knowledge.Routing;
using RagTune.Server.Configuration;

namespace RagTune.Server.Models;

public static class ConfiguredRouter
{
    /// <summary>The intent router of <paramref name="entry"/>; <paramref name="classifier"/> is the chat client of its
    /// classifier model (required when the entry has one).</summary>
    /// <exception cref="ServerException">A rule has no target, neither pattern nor keywords, or an invalid pattern.</exception>
    public static IIntentRouter Create(RouterEntry entry, IChatClient? classifier)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var rules = Rules(entry.Name, entry.Rules);
        if (entry.Classifier is not { } c) return rules;
        if (classifier is null) throw new ServerException($"router '{entry.Name}': classifier model '{c.Model}' is not a served chat model");
        var byModel = new ChatClientIntentRouter(classifier, new ChatClientIntentRouterOptions { Labels = c.Labels });
        return entry.Rules.Count == 0 ? byModel : new IntentRouterChain(byModel, rules);
    }

    /// <summary>The rules of a router entry.</summary>
    /// <exception cref="ServerException">A rule has no target, neither pattern nor keywords, or an invalid pattern.</exception>
    public static RuleIntentRouter Rules(string routerName, IEnumerable<RouteRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        try
        {
            return new RuleIntentRouter(rules.Select(r => new IntentRule(r.Target, r.Pattern, r.Keywords)));
        }
        catch (KnowledgeException e)
        {
            throw new ServerException($"router '{routerName}': {e.Message}", e);
        }
    }
}
