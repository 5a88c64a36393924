// What the routing hosts (IntentRoutingChatClient, RoutedRetriever) share: checking their route names and turning a router's
// answer into a known route.
namespace RagTune.Knowledge.Routing;

internal static class IntentRouting
{
    /// <summary>Throws when a name is empty or used twice, or the default route is not among the names.</summary>
    public static void CheckNames(IReadOnlyList<IntentRoute> routes, string defaultRoute, string owner)
    {
        foreach (var route in routes)
        {
            if (string.IsNullOrWhiteSpace(route.Name)) throw new KnowledgeException($"{owner}: a route name is empty; expected a name");
        }
        var duplicate = routes.GroupBy(r => r.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new KnowledgeException($"{owner}: route '{duplicate.Key}' is given twice; expected unique route names");
        if (!routes.Any(r => r.Name == defaultRoute))
            throw new KnowledgeException($"{owner}: the default route '{defaultRoute}' is not one of the routes: {string.Join(", ", routes.Select(r => r.Name))}");
    }

    /// <summary>The router's route for <paramref name="message"/>, or <paramref name="defaultRoute"/> when it decides nothing.</summary>
    /// <exception cref="KnowledgeException">The router answered a name that is not one of the routes.</exception>
    public static async Task<string> ChooseAsync(IIntentRouter router, string message, IReadOnlyList<IntentRoute> routes, string defaultRoute,
        string owner, CancellationToken cancellationToken)
    {
        string? chosen = await router.RouteAsync(message, routes, cancellationToken).ConfigureAwait(false);
        if (chosen is null) return defaultRoute;
        if (!routes.Any(r => r.Name == chosen))
            throw new KnowledgeException($"{owner}: the router chose route '{chosen}', expected one of: {string.Join(", ", routes.Select(r => r.Name))}");
        return chosen;
    }
}
