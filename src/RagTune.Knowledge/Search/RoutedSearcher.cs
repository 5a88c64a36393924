// Search over several collections: the router picks them, each runs its hybrid search, results are fused by rank.
namespace RagTune.Knowledge.Search;

/// <summary>
/// Hits carry <see cref="SearchHit.Collection"/>, so equal ids in different collections stay distinct. The chosen
/// collections are searched concurrently; their lists are fused with reciprocal-rank fusion (each collection is a
/// "route"), since scores of different collections are not comparable.
/// </summary>
public sealed class RoutedSearcher
{
    private readonly List<KnowledgeCollection> _collections;
    private readonly ICollectionRouter _router;
    private readonly IRankFusion _fusion;

    public RoutedSearcher(IEnumerable<KnowledgeCollection> collections, ICollectionRouter router, IRankFusion? fusion = null)
    {
        ArgumentNullException.ThrowIfNull(collections);
        _collections = collections.ToList();
        if (_collections.Count == 0) throw new KnowledgeException("routed searcher: no collections given, expected at least one.");
        var duplicate = _collections.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new KnowledgeException($"routed searcher: collection name '{duplicate.Key}' is used twice, expected unique names.");
        _router = router ?? throw new ArgumentNullException(nameof(router));
        _fusion = fusion ?? new ReciprocalRankFusion();
    }

    public IReadOnlyList<KnowledgeCollection> Collections => _collections;

    /// <summary>The fused hits and the collections the router chose.</summary>
    public async Task<RoutedSearchResult> SearchAsync(string query, int k, HybridSearchOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        var names = await _router.RouteAsync(query, _collections, cancellationToken).ConfigureAwait(false);
        var chosen = new List<KnowledgeCollection>();
        foreach (var name in names.Distinct(StringComparer.Ordinal))
        {
            chosen.Add(_collections.FirstOrDefault(c => c.Name == name)
                ?? throw new KnowledgeException($"routed searcher: the router chose collection '{name}', expected one of: {string.Join(", ", _collections.Select(c => c.Name))}."));
        }
        if (chosen.Count == 0) throw new KnowledgeException("routed searcher: the router chose no collection, expected at least one.");

        var lists = await Task.WhenAll(chosen.Select(c => c.Searcher.SearchAsync(query, k, options, cancellationToken))).ConfigureAwait(false);
        var tagged = chosen.Select((c, i) => lists[i].Select(h => h with { Collection = c.Name }).ToList()).ToList();
        IReadOnlyList<SearchHit> hits = chosen.Count == 1
            ? tagged[0]
            : _fusion.Fuse(chosen.Select((c, i) => new RouteResult(c.Name, tagged[i])).ToList(), k);
        return new RoutedSearchResult(hits, chosen.Select(c => c.Name).ToList());
    }
}

/// <summary>The hits of a routed search and the collections that were searched.</summary>
public sealed record RoutedSearchResult(IReadOnlyList<SearchHit> Hits, IReadOnlyList<string> Collections);
