// A reusable "visited" marker for graph searches: a generation counter per node avoids clearing between searches.
using System.Collections.Concurrent;

namespace RagTune.Knowledge.Dense;

internal sealed class VisitedSet
{
    private static readonly ConcurrentBag<VisitedSet> Pool = new();
    private int[] _marks = [];
    private int _generation;

    public static VisitedSet Rent(int nodes)
    {
        var set = Pool.TryTake(out var s) ? s : new VisitedSet();
        if (set._marks.Length < nodes)
        {
            set._marks = new int[Math.Max(nodes, set._marks.Length * 2)];
            set._generation = 0;
        }
        if (++set._generation == int.MaxValue)
        {
            Array.Clear(set._marks);
            set._generation = 1;
        }
        return set;
    }

    public static void Return(VisitedSet set) => Pool.Add(set);

    /// <summary>Marks the node; returns false when it was already marked in this search.</summary>
    public bool TryVisit(int node)
    {
        if (_marks[node] == _generation) return false;
        _marks[node] = _generation;
        return true;
    }
}
