// Shared bookkeeping of the fusion methods: per-document score sums, contributing routes, first-seen metadata/text.
namespace RagTune.Knowledge.Search;

internal sealed class FusionAccumulator
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public void Add(SearchHit hit, string route, int rank, double contribution)
    {
        if (!_entries.TryGetValue(hit.Id, out var e))
        {
            e = new Entry(hit);
            _entries[hit.Id] = e;
        }
        e.Score += contribution;
        e.BestRank = Math.Min(e.BestRank, rank);
        if (!e.Routes.Contains(route)) e.Routes.Add(route);
        e.Metadata ??= hit.Metadata;
        e.Text ??= hit.Text;
    }

    public IReadOnlyList<SearchHit> Top(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return _entries.Values
            .OrderByDescending(e => e.Score)
            .ThenBy(e => e.BestRank)
            .ThenBy(e => e.First.Id, StringComparer.Ordinal)
            .Take(k)
            .Select(e => new SearchHit(e.First.Id, e.Score, string.Join('+', e.Routes), e.Metadata, e.Text))
            .ToList();
    }

    private sealed class Entry(SearchHit first)
    {
        public SearchHit First { get; } = first;
        public double Score { get; set; }
        public int BestRank { get; set; } = int.MaxValue;
        public List<string> Routes { get; } = [];
        public IReadOnlyDictionary<string, string>? Metadata { get; set; }
        public string? Text { get; set; }
    }
}
