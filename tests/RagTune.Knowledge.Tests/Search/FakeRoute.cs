// A search route with fixed results for the tests; records each request and can hold its answer until released.
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Tests.Search;

internal sealed class FakeRoute(string name, params SearchHit[] hits) : ISearchRoute
{
    public string Name { get; } = name;
    public List<(string Query, int K, MetadataFilter? Filter)> Requests { get; } = [];
    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public Task? Gate { get; set; }

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, MetadataFilter? filter, CancellationToken cancellationToken)
    {
        lock (Requests) Requests.Add((query, k, filter));
        Started.TrySetResult();
        if (Gate is not null) await Gate.WaitAsync(cancellationToken);
        return hits.Where(h => filter is null || filter.Matches(h.Metadata)).Take(k).Select(h => h with { Route = Name }).ToList();
    }

    public static SearchHit Hit(string id, double score, string? text = null, IReadOnlyDictionary<string, string>? metadata = null) =>
        new(id, score, "", metadata, text);
}
