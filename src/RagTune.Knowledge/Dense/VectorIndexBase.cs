// What the exact and HNSW indexes share: shape checks, the id → slot map, the reader/writer lock, query preparation.
using System.Buffers;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Dense;

/// <summary>
/// Searches take the read lock and may run concurrently; Add/Upsert/Remove and rebuilds take the write lock
/// (single writer). Derived classes work on "slots" (rows of their storage) under the lock the base holds.
/// </summary>
public abstract class VectorIndexBase : IVectorIndex
{
    private protected readonly ReaderWriterLockSlim Lock = new(LockRecursionPolicy.NoRecursion);
    private protected readonly Dictionary<string, int> Slots = new(StringComparer.Ordinal); // live id → slot

    private protected VectorIndexBase(int dimensions, VectorMetric metric)
    {
        if (dimensions <= 0 || dimensions > VectorIndexFile.MaxDimensions)
            throw new ArgumentOutOfRangeException(nameof(dimensions), dimensions, $"expected 1..{VectorIndexFile.MaxDimensions}");
        if (!Enum.IsDefined(metric)) throw new ArgumentOutOfRangeException(nameof(metric));
        Dimensions = dimensions;
        Metric = metric;
    }

    public int Dimensions { get; }
    public VectorMetric Metric { get; }

    public int Count => Read(() => Slots.Count);

    public void Add(string id, ReadOnlySpan<float> vector, IReadOnlyDictionary<string, string>? metadata = null) =>
        Put(id, vector, metadata, replace: false);

    public void Upsert(string id, ReadOnlySpan<float> vector, IReadOnlyDictionary<string, string>? metadata = null) =>
        Put(id, vector, metadata, replace: true);

    private void Put(string id, ReadOnlySpan<float> vector, IReadOnlyDictionary<string, string>? metadata, bool replace)
    {
        ArgumentNullException.ThrowIfNull(id);
        var frozen = VectorIndexFile.Freeze(metadata);
        // Prepared outside the lock: validation and normalisation need no shared state.
        float[] prepared = new float[Dimensions];
        VectorMath.Prepare(Metric, Dimensions, vector, prepared, $"vector '{id}'");
        Lock.EnterWriteLock();
        try
        {
            bool exists = Slots.TryGetValue(id, out int slot);
            if (exists && !replace)
                throw new KnowledgeException($"vector id '{id}': already in the index, expected a new id (use Upsert to replace).");
            PutLocked(id, prepared, frozen, exists ? slot : -1);
        }
        finally { Lock.ExitWriteLock(); }
    }

    /// <summary>Stores a prepared vector under the write lock; <paramref name="existingSlot"/> is -1 for a new id.</summary>
    private protected abstract void PutLocked(string id, float[] prepared, IReadOnlyDictionary<string, string>? metadata, int existingSlot);

    public bool Remove(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        Lock.EnterWriteLock();
        try { return Slots.Remove(id, out int slot) && RemoveLocked(slot); }
        finally { Lock.ExitWriteLock(); }
    }

    /// <summary>Frees the slot of an id already dropped from <see cref="Slots"/>; returns true.</summary>
    private protected abstract bool RemoveLocked(int slot);

    public bool Contains(string id) => Read(() => Slots.ContainsKey(id));

    public IReadOnlyDictionary<string, string>? GetMetadata(string id) =>
        Read(() => Slots.TryGetValue(id, out int slot) ? MetadataOf(slot) : null);

    private protected abstract IReadOnlyDictionary<string, string>? MetadataOf(int slot);

    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, MetadataFilter? filter = null) =>
        SearchCore(query, k, filter, efSearch: null);

    private protected IReadOnlyList<VectorHit> SearchCore(ReadOnlySpan<float> query, int k, MetadataFilter? filter, int? efSearch) =>
        WithPreparedQuery(query, k, qs => Slots.Count == 0 ? [] : SearchLocked(qs, k, filter, efSearch));

    private delegate IReadOnlyList<VectorHit> PreparedSearch(ReadOnlySpan<float> preparedQuery);

    /// <summary>Prepares the query (normalised for cosine) and runs <paramref name="search"/> under the read lock; k = 0 finds nothing.</summary>
    private IReadOnlyList<VectorHit> WithPreparedQuery(ReadOnlySpan<float> query, int k, PreparedSearch search)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        float[] q = ArrayPool<float>.Shared.Rent(Dimensions);
        try
        {
            var qs = q.AsSpan(0, Dimensions);
            VectorMath.Prepare(Metric, Dimensions, query, qs, "query vector");
            Lock.EnterReadLock();
            try { return k == 0 ? [] : search(qs); }
            finally { Lock.ExitReadLock(); }
        }
        finally { ArrayPool<float>.Shared.Return(q); }
    }

    public IReadOnlyList<VectorHit> SearchAmong(ReadOnlySpan<float> query, int k, IEnumerable<string> ids, MetadataFilter? filter = null)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return WithPreparedQuery(query, k, qs =>
        {
            var top = new TopK(k);
            foreach (string id in ids)
            {
                if (!Slots.TryGetValue(id, out int slot) || (filter is not null && !filter.Matches(MetadataOf(slot)))) continue;
                float score = VectorMath.Score(Metric, qs, RowOf(slot));
                if (score >= top.Threshold) top.Offer(id, score);
            }
            return top.ToSortedList();
        });
    }

    /// <summary>The stored (prepared) vector of a live slot, under the read lock.</summary>
    private protected abstract ReadOnlySpan<float> RowOf(int slot);

    /// <summary>The top k under the read lock; the query is prepared (normalised for cosine), k ≥ 1, the index non-empty.</summary>
    private protected abstract IReadOnlyList<VectorHit> SearchLocked(ReadOnlySpan<float> query, int k, MetadataFilter? filter, int? efSearch);

    public void Save(string path)
    {
        Lock.EnterReadLock();
        try { SaveLocked(path); }
        finally { Lock.ExitReadLock(); }
    }

    private protected abstract void SaveLocked(string path);

    private protected T Read<T>(Func<T> read)
    {
        Lock.EnterReadLock();
        try { return read(); }
        finally { Lock.ExitReadLock(); }
    }
}
