// Routers asked in order; the first that decides wins (e.g. cheap rules first, then a model for the rest).
namespace RagTune.Knowledge.Routing;

public sealed class IntentRouterChain : IIntentRouter
{
    private readonly IIntentRouter[] _routers;

    public IntentRouterChain(params IEnumerable<IIntentRouter> routers)
    {
        ArgumentNullException.ThrowIfNull(routers);
        _routers = routers.ToArray();
        if (_routers.Any(r => r is null)) throw new ArgumentException("A router chain holds no null router.", nameof(routers));
    }

    public IReadOnlyList<IIntentRouter> Routers => _routers;

    public async Task<string?> RouteAsync(string message, IReadOnlyList<IntentRoute> routes, CancellationToken cancellationToken)
    {
        foreach (var router in _routers)
        {
            if (await router.RouteAsync(message, routes, cancellationToken).ConfigureAwait(false) is { } route) return route;
        }
        return null;
    }
}
