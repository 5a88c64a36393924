// Bounded top-k selection: a min-heap of the k best (score, id) pairs seen so far.
namespace RagTune.Knowledge.Dense;

internal sealed class TopK
{
    private readonly int _k;
    // Min-heap by (score, then reverse id order): the root is the worst kept hit, the first to be evicted.
    private readonly PriorityQueue<VectorHit, VectorHit> _heap;

    public TopK(int k)
    {
        _k = k;
        _heap = new PriorityQueue<VectorHit, VectorHit>(k + 1, WorseFirst.Instance);
    }

    public int Count => _heap.Count;

    /// <summary>The score a new hit must beat to enter when the heap is full.</summary>
    public float Threshold => _heap.Count < _k ? float.NegativeInfinity : _heap.Peek().Score;

    public bool IsFull => _heap.Count >= _k;

    public void Offer(string id, float score)
    {
        if (_k == 0) return;
        var hit = new VectorHit(id, score);
        if (_heap.Count < _k) { _heap.Enqueue(hit, hit); return; }
        if (WorseFirst.Instance.Compare(hit, _heap.Peek()) > 0) _heap.EnqueueDequeue(hit, hit);
    }

    /// <summary>The kept hits, best first; ties are broken by ordinal id so results are deterministic.</summary>
    public List<VectorHit> ToSortedList()
    {
        var list = new List<VectorHit>(_heap.Count);
        while (_heap.Count > 0) list.Add(_heap.Dequeue());
        list.Reverse();
        return list;
    }

    /// <summary>Orders hits worst first: lower score, and on equal score the larger id.</summary>
    internal sealed class WorseFirst : IComparer<VectorHit>
    {
        public static readonly WorseFirst Instance = new();

        public int Compare(VectorHit a, VectorHit b)
        {
            int c = a.Score.CompareTo(b.Score);
            return c != 0 ? c : string.CompareOrdinal(b.Id, a.Id);
        }
    }
}
