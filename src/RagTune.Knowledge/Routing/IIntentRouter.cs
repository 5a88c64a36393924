// Picks the route (a model, a RAG client, a knowledge base) that should answer a user message.
namespace RagTune.Knowledge.Routing;

/// <summary>
/// Routers are chained (<see cref="IntentRouterChain"/>): one that cannot decide answers null and the next one decides,
/// else the host's default route. Hosts are <see cref="IntentRoutingChatClient"/> (routes between chat clients) and
/// <see cref="RoutedRetriever"/> (routes between knowledge bases).
/// </summary>
public interface IIntentRouter
{
    /// <summary>The name of the route for <paramref name="message"/>, one of <paramref name="routes"/>, or null when this
    /// router does not decide.</summary>
    Task<string?> RouteAsync(string message, IReadOnlyList<IntentRoute> routes, CancellationToken cancellationToken);
}
