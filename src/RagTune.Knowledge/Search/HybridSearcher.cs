// Hybrid search: run the chosen routes concurrently, fuse their rankings, optionally rerank the head of the list.
namespace RagTune.Knowledge.Search;

/// <summary>
/// The defaults: every route, 50 candidates per route, reciprocal-rank fusion, rerank the top 20 fused hits.
/// With a single route selected its hits are returned with their own scores (fusion of one list only renames scores).
/// </summary>
public sealed class HybridSearcher
{
    public const int DefaultCandidatesPerRoute = 50;
    public const int DefaultRerankDepth = 20;
    private readonly Dictionary<string, ISearchRoute> _routes = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly IRankFusion _fusion;
    private readonly IReranker _reranker;

    public HybridSearcher(IEnumerable<ISearchRoute> routes, IRankFusion? fusion = null, IReranker? reranker = null)
    {
        ArgumentNullException.ThrowIfNull(routes);
        foreach (var route in routes)
        {
            ArgumentNullException.ThrowIfNull(route, nameof(routes));
            if (!_routes.TryAdd(route.Name, route))
                throw new KnowledgeException($"hybrid searcher: route name '{route.Name}' is used twice, expected unique names.");
            _order.Add(route.Name);
        }
        if (_order.Count == 0) throw new KnowledgeException("hybrid searcher: no routes given, expected at least one.");
        _fusion = fusion ?? new ReciprocalRankFusion();
        _reranker = reranker ?? PassThroughReranker.Instance;
    }

    public IReadOnlyList<string> RouteNames => _order;

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, HybridSearchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        options ??= new HybridSearchOptions();
        var selected = SelectRoutes(options.Routes);
        if (k == 0) return [];
        int candidates = Math.Max(k, options.CandidatesPerRoute ?? DefaultCandidatesPerRoute);

        // Task.Run: BM25 and vector scans are CPU-bound and may complete synchronously; this makes them overlap.
        var tasks = selected.Select(r => Task.Run(() => r.SearchAsync(query, candidates, options.Filter, cancellationToken), cancellationToken)).ToArray();
        var lists = await Task.WhenAll(tasks).ConfigureAwait(false);

        bool rerank = options.Rerank && _reranker is not PassThroughReranker;
        int depth = rerank ? Math.Max(k, options.RerankDepth ?? DefaultRerankDepth) : k;
        IReadOnlyList<SearchHit> fused = selected.Count == 1
            ? lists[0].Take(depth).ToList()
            : (options.Fusion ?? _fusion).Fuse(selected.Select((r, i) => new RouteResult(r.Name, lists[i])).ToList(), depth);
        if (!rerank) return fused;
        var reranked = await _reranker.RerankAsync(query, fused, cancellationToken).ConfigureAwait(false);
        return reranked.Take(k).ToList();
    }

    private List<ISearchRoute> SelectRoutes(IReadOnlyList<string>? names)
    {
        if (names is null) return _order.Select(n => _routes[n]).ToList();
        if (names.Count == 0) throw new KnowledgeException("hybrid search: the route list is empty, expected at least one route name or null for all.");
        var selected = new List<ISearchRoute>(names.Count);
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            if (!_routes.TryGetValue(name, out var route))
                throw new KnowledgeException($"hybrid search: route '{name}' is unknown, expected one of: {string.Join(", ", _order)}.");
            selected.Add(route);
        }
        return selected;
    }
}
