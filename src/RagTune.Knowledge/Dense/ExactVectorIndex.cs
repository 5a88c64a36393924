// Exact (brute-force) vector index: vectors in one contiguous float array, a SIMD dot/distance per row, a bounded top-k heap.
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Dense;

/// <summary>
/// The reference index: every search scans every live vector, so recall is 1 by construction. Removal moves the last
/// row into the freed slot to keep storage contiguous.
/// </summary>
public sealed class ExactVectorIndex : VectorIndexBase
{
    private float[] _data;   // (capacity, D) row-major; rows [0, _count) are live
    private string[] _ids;
    private IReadOnlyDictionary<string, string>?[] _metadata;
    private int _count;

    public ExactVectorIndex(int dimensions, VectorMetric metric = VectorMetric.Cosine, int initialCapacity = 1024)
        : base(dimensions, metric)
    {
        initialCapacity = Math.Max(initialCapacity, 1);
        _data = new float[(long)initialCapacity * dimensions];
        _ids = new string[initialCapacity];
        _metadata = new IReadOnlyDictionary<string, string>?[initialCapacity];
    }

    private protected override void PutLocked(string id, float[] prepared, IReadOnlyDictionary<string, string>? metadata, int existingSlot)
    {
        int slot = existingSlot;
        if (slot < 0)
        {
            EnsureCapacity(_count + 1);
            slot = _count++;
            Slots[id] = slot;
        }
        prepared.CopyTo(Row(slot));
        _ids[slot] = id;
        _metadata[slot] = metadata;
    }

    private protected override bool RemoveLocked(int slot)
    {
        int last = _count - 1;
        if (slot != last)
        {
            Row(last).CopyTo(Row(slot));
            _ids[slot] = _ids[last];
            _metadata[slot] = _metadata[last];
            Slots[_ids[slot]] = slot;
        }
        _ids[last] = null!;
        _metadata[last] = null;
        _count = last;
        return true;
    }

    private protected override ReadOnlySpan<float> RowOf(int slot) => Row(slot);

    private protected override IReadOnlyDictionary<string, string>? MetadataOf(int slot) => _metadata[slot];

    private protected override IReadOnlyList<VectorHit> SearchLocked(ReadOnlySpan<float> query, int k, MetadataFilter? filter, int? efSearch)
    {
        var top = new TopK(Math.Min(k, _count));
        for (int i = 0; i < _count; i++)
        {
            if (filter is not null && !filter.Matches(_metadata[i])) continue;
            float score = VectorMath.Score(Metric, query, Row(i));
            if (score >= top.Threshold) top.Offer(_ids[i], score);
        }
        return top.ToSortedList();
    }

    /// <summary>A copy of the stored (for cosine: normalised) vector, or null when the id is absent.</summary>
    public float[]? GetVector(string id) => Read(() => Slots.TryGetValue(id, out int slot) ? Row(slot).ToArray() : null);

    // File body: dims, metric, count; per entry id + metadata; then all vectors as one (count, D) float block.
    private protected override void SaveLocked(string path) =>
        VectorIndexFile.WriteAtomic(path, VectorIndexFile.ExactMagic, w =>
        {
            w.Write(Dimensions);
            w.Write((int)Metric);
            w.Write(_count);
            for (int i = 0; i < _count; i++)
            {
                w.Write(_ids[i]);
                VectorIndexFile.WriteMetadata(w, _metadata[i]);
            }
            VectorIndexFile.WriteFloats(w, _data.AsSpan(0, _count * Dimensions));
        });

    public static ExactVectorIndex Load(string path) =>
        VectorIndexFile.Read(path, VectorIndexFile.ExactMagic, "exact vector index", r =>
        {
            int dims = VectorIndexFile.ReadDimensions(r);
            var metric = VectorIndexFile.ReadMetric(r);
            int count = VectorIndexFile.ReadCount(r, dims, "count");
            var index = new ExactVectorIndex(dims, metric, Math.Max(count, 1));
            for (int i = 0; i < count; i++)
            {
                string id = r.ReadString();
                VectorIndexFile.Check(index.Slots.TryAdd(id, i), "id", $"'{id}' (duplicate)", "unique ids");
                index._ids[i] = id;
                index._metadata[i] = VectorIndexFile.ReadMetadata(r);
            }
            VectorIndexFile.ReadFloats(r, index._data.AsSpan(0, count * dims));
            index._count = count;
            return index;
        });

    private Span<float> Row(int slot) => _data.AsSpan(slot * Dimensions, Dimensions);

    private void EnsureCapacity(int needed)
    {
        if (needed <= _ids.Length) return;
        int capacity = Math.Max(needed, _ids.Length * 2);
        Array.Resize(ref _data, checked(capacity * Dimensions));
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _metadata, capacity);
    }
}
