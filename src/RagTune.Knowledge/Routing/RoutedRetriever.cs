// Routed RAG: a router (rules, a model, or both chained) picks which knowledge base a question is searched in, so
// `new RagChatClient(model, new RoutedRetriever(...))` answers from the right one.
using RagTune.Knowledge.Rag;

namespace RagTune.Knowledge.Routing;

/// <summary>
/// One knowledge base is searched per question (scores of different indexes are not comparable, and a router that can
/// tell them apart has already said which one answers). The passages carry the route's name in
/// <see cref="RetrievedPassage.KnowledgeBase"/>. Thread-safe when the router and the retrievers are.
/// </summary>
public sealed class RoutedRetriever : IRagRetriever
{
    private readonly IIntentRouter _router;
    private readonly Dictionary<string, IRagRetriever> _retrievers = new(StringComparer.Ordinal);
    private readonly List<IntentRoute> _routes;

    /// <param name="routes">The knowledge bases, each under a unique name.</param>
    /// <param name="router">Picks a knowledge base per question.</param>
    /// <param name="defaultRoute">Searched when the router decides nothing; one of the routes.</param>
    /// <exception cref="KnowledgeException">No routes, names empty or not unique, or the default is not a route.</exception>
    public RoutedRetriever(IEnumerable<RetrievalRoute> routes, IIntentRouter router, string defaultRoute)
    {
        ArgumentNullException.ThrowIfNull(routes);
        _router = router ?? throw new ArgumentNullException(nameof(router));
        ArgumentNullException.ThrowIfNull(defaultRoute);
        var list = routes.ToList();
        if (list.Any(r => r is null || r.Retriever is null)) throw new ArgumentException("A route and its retriever are required.", nameof(routes));
        if (list.Count == 0) throw new KnowledgeException("routed retriever: no routes given; expected at least one knowledge base");
        _routes = list.Select(r => new IntentRoute(r.Name, r.Description)).ToList();
        IntentRouting.CheckNames(_routes, defaultRoute, "routed retriever");
        foreach (var route in list) _retrievers.Add(route.Name, route.Retriever);
        DefaultRoute = defaultRoute;
    }

    public string DefaultRoute { get; }

    public IReadOnlyList<IntentRoute> Routes => _routes;

    public async Task<IReadOnlyList<RetrievedPassage>> RetrieveAsync(string query, int k, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        string route = await IntentRouting.ChooseAsync(_router, query, _routes, DefaultRoute, "routed retriever", cancellationToken).ConfigureAwait(false);
        var passages = await _retrievers[route].RetrieveAsync(query, k, cancellationToken).ConfigureAwait(false);
        return passages.Select(p => p with { KnowledgeBase = route }).ToList();
    }
}
