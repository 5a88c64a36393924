// HNSW approximate nearest-neighbour index (Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
// search using Hierarchical Navigable Small World graphs", 2016): layered graph, greedy descent, ef-bounded beam search.
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Dense;

/// <summary>
/// Nodes get a level l = ⌊−ln(U)·mL⌋ with mL = 1/ln(M), U drawn from a generator seeded by (seed, insertion ordinal),
/// so a seed and an insertion order fix the graph, also across Save/Load. Neighbours are chosen with the paper's
/// heuristic (algorithm 4, without candidate extension or kept pruned links, as hnswlib does). Layer 0 holds up to 2·M
/// links, upper layers M. Removal leaves a tombstone: the node still routes searches but is never returned;
/// <see cref="Compact"/> rebuilds the graph without them. Searches run concurrently; writers take an exclusive lock.
/// </summary>
public sealed class HnswIndex : VectorIndexBase
{
    private const int MaxLevel = 48;
    private readonly int _m, _m0, _efConstruction;
    private readonly double _levelMultiplier;
    private readonly ulong _seed;
    private volatile int _efSearch;

    private float[] _vectors = [];    // (capacity, D) row-major, node order
    private string[] _ids = [];
    private IReadOnlyDictionary<string, string>?[] _metadata = [];
    private bool[] _deleted = [];
    // _links[node][level] = [count, n1, n2, ...] with room for M0 (level 0) or M (upper) neighbours.
    private int[][][] _links = [];
    private int _nodes;               // nodes in the graph, tombstones included
    private int _entryPoint = -1;
    private int _topLevel = -1;
    private long _ordinal;            // insertions so far; feeds the level generator

    public HnswIndex(int dimensions, VectorMetric metric = VectorMetric.Cosine, HnswOptions? options = null)
        : base(dimensions, metric)
    {
        options ??= new HnswOptions();
        options.Validate();
        _m = options.M;
        _m0 = 2 * options.M;
        _efConstruction = options.EfConstruction;
        _efSearch = options.EfSearch;
        _seed = options.Seed;
        _levelMultiplier = 1.0 / Math.Log(options.M);
    }

    public HnswOptions Options => new() { M = _m, EfConstruction = _efConstruction, EfSearch = _efSearch, Seed = _seed };

    /// <summary>The search beam width; may be changed between searches (it is a query-time parameter).</summary>
    public int EfSearch
    {
        get => _efSearch;
        set => _efSearch = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "expected ≥ 1");
    }

    /// <summary>Removed nodes still in the graph (they route searches until <see cref="Compact"/>).</summary>
    public int TombstoneCount => Read(() => _nodes - Slots.Count);

    private protected override void PutLocked(string id, float[] prepared, IReadOnlyDictionary<string, string>? metadata, int existingSlot)
    {
        // A replaced node becomes a tombstone: unlinking it would need a repair pass over its neighbourhoods.
        if (existingSlot >= 0) RemoveLocked(existingSlot);
        Insert(id, prepared, metadata);
    }

    private protected override bool RemoveLocked(int node)
    {
        _deleted[node] = true;
        _metadata[node] = null;
        return true;
    }

    private protected override ReadOnlySpan<float> RowOf(int node) => Row(node);

    private protected override IReadOnlyDictionary<string, string>? MetadataOf(int node) => _metadata[node];

    /// <summary>Rebuilds the graph from the live nodes (in their insertion order), dropping every tombstone.</summary>
    public void Compact()
    {
        Lock.EnterWriteLock();
        try
        {
            int n = _nodes;
            var vectors = _vectors;
            var ids = _ids;
            var metadata = _metadata;
            var deleted = _deleted;
            ResetGraph(Slots.Count);
            for (int i = 0; i < n; i++)
            {
                if (deleted[i]) continue;
                Insert(ids[i], vectors.AsSpan(i * Dimensions, Dimensions), metadata[i]);
            }
        }
        finally { Lock.ExitWriteLock(); }
    }

    /// <summary>Search with an explicit beam width for this call (the effective ef is max(ef, k)).</summary>
    public IReadOnlyList<VectorHit> Search(ReadOnlySpan<float> query, int k, MetadataFilter? filter, int? efSearch) =>
        SearchCore(query, k, filter, efSearch);

    private protected override IReadOnlyList<VectorHit> SearchLocked(ReadOnlySpan<float> query, int k, MetadataFilter? filter, int? efSearch)
    {
        int ep = _entryPoint;
        float epDist = Distance(query, ep);
        for (int level = _topLevel; level > 0; level--) (ep, epDist) = GreedyClosest(query, ep, epDist, level);
        int ef = Math.Max(efSearch ?? _efSearch, k);
        // A selective filter makes the graph walk wander until it has seen ef matching nodes; past a quarter of the
        // graph a scan of the matching nodes is cheaper, and exact.
        int budget = filter is null ? int.MaxValue : Math.Max(_nodes / 4, ef * _m0);
        var found = SearchLayer(query, [(ep, epDist)], ef, 0, restrict: true, filter, budget);
        var top = new TopK(k);
        if (found is null)
        {
            for (int node = 0; node < _nodes; node++)
            {
                if (Allowed(node, filter)) top.Offer(_ids[node], VectorMath.Score(Metric, query, Row(node)));
            }
            return top.ToSortedList();
        }
        // The heap's priority is −distance, which is the metric's score.
        while (found.TryDequeue(out int node, out float score)) top.Offer(_ids[node], score);
        return top.ToSortedList();
    }

    // ---- construction -------------------------------------------------------------------------------------------

    private void Insert(string id, ReadOnlySpan<float> vector, IReadOnlyDictionary<string, string>? metadata)
    {
        int node = _nodes;
        EnsureCapacity(node + 1);
        vector.CopyTo(Row(node));
        _ids[node] = id;
        _metadata[node] = metadata;
        _deleted[node] = false;
        int level = DrawLevel(_ordinal++);
        var links = new int[level + 1][];
        for (int l = 0; l <= level; l++) links[l] = new int[1 + (l == 0 ? _m0 : _m)];
        _links[node] = links;
        _nodes++;
        Slots[id] = node;

        if (_entryPoint < 0)
        {
            _entryPoint = node;
            _topLevel = level;
            return;
        }

        ReadOnlySpan<float> q = Row(node);
        int ep = _entryPoint;
        float epDist = Distance(q, ep);
        for (int l = _topLevel; l > level; l--) (ep, epDist) = GreedyClosest(q, ep, epDist, l);

        var entries = new List<(int Node, float Dist)> { (ep, epDist) };
        for (int l = Math.Min(level, _topLevel); l >= 0; l--)
        {
            var found = SearchLayer(q, entries, _efConstruction, l, restrict: false, filter: null)!;
            // Drain the max-heap (furthest first) into ascending-distance order.
            var candidates = new List<(int Node, float Dist)>(found.Count);
            while (found.TryDequeue(out int c, out float negDist)) candidates.Add((c, -negDist));
            candidates.Reverse();

            var chosen = SelectNeighbours(candidates, _m);
            var mine = _links[node][l];
            mine[0] = chosen.Count;
            for (int i = 0; i < chosen.Count; i++) mine[1 + i] = chosen[i];
            foreach (int neighbour in chosen) Connect(neighbour, node, l);
            entries = candidates;
        }

        if (level > _topLevel)
        {
            _topLevel = level;
            _entryPoint = node;
        }
    }

    /// <summary>Adds the back-link node → newcomer, shrinking node's list with the heuristic when it overflows.</summary>
    private void Connect(int node, int newcomer, int level)
    {
        var list = _links[node][level];
        int count = list[0];
        int max = level == 0 ? _m0 : _m;
        if (count < max)
        {
            list[1 + count] = newcomer;
            list[0] = count + 1;
            return;
        }
        ReadOnlySpan<float> v = Row(node);
        var candidates = new List<(int Node, float Dist)>(count + 1) { (newcomer, Distance(v, newcomer)) };
        for (int i = 1; i <= count; i++) candidates.Add((list[i], Distance(v, list[i])));
        candidates.Sort(static (a, b) => a.Dist != b.Dist ? a.Dist.CompareTo(b.Dist) : a.Node.CompareTo(b.Node));
        var kept = SelectNeighbours(candidates, max);
        list[0] = kept.Count;
        for (int i = 0; i < kept.Count; i++) list[1 + i] = kept[i];
    }

    /// <summary>
    /// Algorithm 4: walk candidates nearest first and keep one only if it is closer to the base than to every neighbour
    /// kept so far — this spreads links over directions instead of clustering them.
    /// </summary>
    private List<int> SelectNeighbours(List<(int Node, float Dist)> ascending, int max)
    {
        var kept = new List<int>(max);
        foreach (var (candidate, dist) in ascending)
        {
            if (kept.Count >= max) break;
            ReadOnlySpan<float> c = Row(candidate);
            bool good = true;
            foreach (int r in kept)
            {
                if (Distance(c, r) < dist) { good = false; break; }
            }
            if (good) kept.Add(candidate);
        }
        return kept;
    }

    private int DrawLevel(long ordinal)
    {
        // SplitMix64 of (seed, ordinal): a stateless draw, so reloading an index continues the same sequence.
        ulong z = _seed + 0x9E3779B97F4A7C15UL * (ulong)(ordinal + 1);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        double u = ((z >> 11) + 1) * (1.0 / (1UL << 53)); // (0, 1]
        return Math.Min((int)Math.Floor(-Math.Log(u) * _levelMultiplier), MaxLevel);
    }

    // ---- search primitives ---------------------------------------------------------------------------------------

    private float Distance(ReadOnlySpan<float> q, int node) => -VectorMath.Score(Metric, q, Row(node));

    /// <summary>Greedy walk on one layer (ef = 1): move to the closest neighbour until none is closer.</summary>
    private (int Node, float Dist) GreedyClosest(ReadOnlySpan<float> q, int ep, float epDist, int level)
    {
        bool changed = true;
        while (changed)
        {
            changed = false;
            var list = _links[ep][level];
            for (int i = 1; i <= list[0]; i++)
            {
                int n = list[i];
                float d = Distance(q, n);
                if (d < epDist) { ep = n; epDist = d; changed = true; }
            }
        }
        return (ep, epDist);
    }

    /// <summary>
    /// Algorithm 2 (SEARCH-LAYER) returning a max-heap of the ef closest (priority = −distance, furthest on top).
    /// With <paramref name="restrict"/>, tombstones and nodes failing the filter still route the search but never enter
    /// the result, and the search continues until ef allowed nodes are found (hnswlib's filtered search).
    /// Returns null when more than <paramref name="visitBudget"/> nodes would be visited.
    /// </summary>
    private PriorityQueue<int, float>? SearchLayer(ReadOnlySpan<float> q, List<(int Node, float Dist)> entries, int ef,
        int level, bool restrict, MetadataFilter? filter, int visitBudget = int.MaxValue)
    {
        var visited = VisitedSet.Rent(_nodes);
        try
        {
            var candidates = new PriorityQueue<int, float>();      // nearest first
            var results = new PriorityQueue<int, float>(ef + 1);   // furthest first (priority −distance)
            float bound = float.PositiveInfinity;
            foreach (var (node, dist) in entries)
            {
                if (!visited.TryVisit(node)) continue;
                candidates.Enqueue(node, dist);
                if (!restrict || Allowed(node, filter))
                {
                    results.Enqueue(node, -dist);
                    if (results.Count > ef) results.Dequeue();
                }
            }
            if (results.Count > 0) bound = -PeekPriority(results);
            bool unrestricted = !restrict || (filter is null && _nodes == Slots.Count);

            while (candidates.TryDequeue(out int c, out float cDist))
            {
                if (cDist > bound && (results.Count >= ef || unrestricted)) break;
                var list = _links[c][level];
                for (int i = 1; i <= list[0]; i++)
                {
                    int n = list[i];
                    if (!visited.TryVisit(n)) continue;
                    if (--visitBudget < 0) return null;
                    float d = Distance(q, n);
                    if (results.Count < ef || d < bound)
                    {
                        candidates.Enqueue(n, d);
                        if (!restrict || Allowed(n, filter))
                        {
                            results.Enqueue(n, -d);
                            if (results.Count > ef) results.Dequeue();
                        }
                        if (results.Count > 0) bound = -PeekPriority(results);
                    }
                }
            }
            return results;
        }
        finally { VisitedSet.Return(visited); }
    }

    private bool Allowed(int node, MetadataFilter? filter) =>
        !_deleted[node] && (filter is null || filter.Matches(_metadata[node]));

    private static float PeekPriority(PriorityQueue<int, float> heap)
    {
        heap.TryPeek(out _, out float priority);
        return priority;
    }

    // ---- storage ------------------------------------------------------------------------------------------------

    private Span<float> Row(int node) => _vectors.AsSpan(node * Dimensions, Dimensions);

    private void EnsureCapacity(int needed)
    {
        if (needed <= _ids.Length) return;
        int capacity = Math.Max(needed, Math.Max(16, _ids.Length * 2));
        Array.Resize(ref _vectors, checked(capacity * Dimensions));
        Array.Resize(ref _ids, capacity);
        Array.Resize(ref _metadata, capacity);
        Array.Resize(ref _deleted, capacity);
        Array.Resize(ref _links, capacity);
    }

    private void ResetGraph(int capacity)
    {
        _vectors = [];
        _ids = [];
        _metadata = [];
        _deleted = [];
        _links = [];
        Slots.Clear();
        _nodes = 0;
        _entryPoint = -1;
        _topLevel = -1;
        EnsureCapacity(Math.Max(capacity, 1));
    }

    // File body: dims, metric, M, efConstruction, efSearch, seed, ordinal, nodes, entry point, top level;
    // per node id, metadata, deleted flag, level and each level's links; then the (nodes, D) vector block.
    private protected override void SaveLocked(string path) =>
        VectorIndexFile.WriteAtomic(path, VectorIndexFile.HnswMagic, w =>
        {
            w.Write(Dimensions);
            w.Write((int)Metric);
            w.Write(_m);
            w.Write(_efConstruction);
            w.Write(_efSearch);
            w.Write(_seed);
            w.Write(_ordinal);
            w.Write(_nodes);
            w.Write(_entryPoint);
            w.Write(_topLevel);
            for (int i = 0; i < _nodes; i++)
            {
                w.Write(_ids[i]);
                VectorIndexFile.WriteMetadata(w, _metadata[i]);
                w.Write(_deleted[i]);
                var levels = _links[i];
                w.Write(levels.Length - 1);
                foreach (var list in levels)
                {
                    w.Write(list[0]);
                    for (int j = 1; j <= list[0]; j++) w.Write(list[j]);
                }
            }
            VectorIndexFile.WriteFloats(w, _vectors.AsSpan(0, _nodes * Dimensions));
        });

    public static HnswIndex Load(string path) =>
        VectorIndexFile.Read(path, VectorIndexFile.HnswMagic, "HNSW index", r =>
        {
            int dims = VectorIndexFile.ReadDimensions(r);
            var metric = VectorIndexFile.ReadMetric(r);
            int m = r.ReadInt32();
            VectorIndexFile.Check(m >= 2 && m <= 1024, "M", m, "2..1024");
            int efConstruction = r.ReadInt32();
            VectorIndexFile.Check(efConstruction >= 1, "efConstruction", efConstruction, "≥ 1");
            int efSearch = r.ReadInt32();
            VectorIndexFile.Check(efSearch >= 1, "efSearch", efSearch, "≥ 1");
            ulong seed = r.ReadUInt64();
            var index = new HnswIndex(dims, metric, new HnswOptions { M = m, EfConstruction = efConstruction, EfSearch = efSearch, Seed = seed });
            index._ordinal = r.ReadInt64();
            int nodes = VectorIndexFile.ReadCount(r, dims, "node count");
            VectorIndexFile.Check(index._ordinal >= nodes, "insertion ordinal", index._ordinal, $"≥ node count {nodes}");
            int entry = r.ReadInt32();
            int top = r.ReadInt32();
            VectorIndexFile.Check(nodes == 0 ? entry == -1 && top == -1 : entry >= 0 && entry < nodes && top >= 0 && top <= MaxLevel,
                "entry point / top level", $"{entry} / {top}", $"a node below {nodes} and a level 0..{MaxLevel} (or -1 / -1 when empty)");
            index.ResetGraph(nodes);
            for (int i = 0; i < nodes; i++)
            {
                string id = r.ReadString();
                index._ids[i] = id;
                index._metadata[i] = VectorIndexFile.ReadMetadata(r);
                bool deleted = r.ReadBoolean();
                index._deleted[i] = deleted;
                if (!deleted)
                    VectorIndexFile.Check(index.Slots.TryAdd(id, i), "id", $"'{id}' (duplicate live id)", "unique live ids");
                int level = r.ReadInt32();
                VectorIndexFile.Check(level >= 0 && level <= top, $"level of node {i}", level, $"0..{top}");
                var links = new int[level + 1][];
                for (int l = 0; l <= level; l++)
                {
                    int cap = l == 0 ? index._m0 : index._m;
                    int count = r.ReadInt32();
                    VectorIndexFile.Check(count >= 0 && count <= cap, $"link count of node {i} level {l}", count, $"0..{cap}");
                    var list = new int[1 + cap];
                    list[0] = count;
                    for (int j = 1; j <= count; j++)
                    {
                        int n = r.ReadInt32();
                        VectorIndexFile.Check(n >= 0 && n < nodes && n != i, $"link of node {i} level {l}", n, $"another node below {nodes}");
                        list[j] = n;
                    }
                    links[l] = list;
                }
                index._links[i] = links;
            }
            VectorIndexFile.ReadFloats(r, index._vectors.AsSpan(0, nodes * dims));
            index._nodes = nodes;
            index._entryPoint = entry;
            index._topLevel = top;
            if (nodes > 0)
                VectorIndexFile.Check(index._links[entry].Length - 1 == top, "entry point level", index._links[entry].Length - 1, $"the top level {top}");
            // Links point to nodes that exist, but a link may name a level its target lacks only if the file is corrupt.
            for (int i = 0; i < nodes; i++)
            {
                for (int l = 1; l < index._links[i].Length; l++)
                {
                    var list = index._links[i][l];
                    for (int j = 1; j <= list[0]; j++)
                        VectorIndexFile.Check(index._links[list[j]].Length > l, $"link of node {i} level {l}", list[j], "a node present on that level");
                }
            }
            return index;
        });
}
