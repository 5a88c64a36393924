// Scaled dot-product attention over a key/value store, with grouped-query heads (GQA) and an optional causal mask.
// Shapes: q, output [T, H·D] (T query rows); k, v [KV, cap, D] head-major (the KV-cache layout; cap = row stride);
// H query heads share KV heads in groups of H/KV, as transformers' repeat_kv does (query head h reads kv head h / (H/KV)).
// Causal: query row t sits at position start + t and sees keys 0..start+t. Otherwise every row sees keys 0..keys-1.
// The fast path fuses scores, a max-subtracted softmax and the weighted sum of values per (row, head), pairs in parallel.
using System.Runtime.Intrinsics;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static class Attention
{
    /// <summary>Attention for every (query row, head) pair, the pairs split across the worker pool (the shared pool
    /// when <paramref name="pool"/> is null). <paramref name="scores"/> [≥ visible keys] is the scratch of the calling
    /// thread; other pool threads use their own, sized once to the KV capacity.</summary>
    public static unsafe void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        Span<float> scores, in AttentionShape shape, WorkerPool? pool = null)
    {
        shape.Check(q, k, v, output, scores);
        if (AttentionBlocked.Pays(shape))
        {
            AttentionBlocked.Forward(q, k, v, output, shape, pool);
            return;
        }
        if (AttentionBlocked.PaysGrouped(shape))
        {
            AttentionBlocked.ForwardGrouped(q, k, v, output, shape, pool);
            return;
        }
        ForwardPairs(q, k, v, output, scores, shape, pool);
    }

    /// <summary>The per-(row, head) loop that <see cref="Forward"/> takes for short contexts and without GQA (public
    /// for the A/B micro-benchmark, bench/engine `attention`).</summary>
    public static unsafe void ForwardPairs(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        Span<float> scores, in AttentionShape shape, WorkerPool? pool = null)
    {
        shape.Check(q, k, v, output, scores);
        fixed (float* pq = q, pk = k, pv = v, po = output, ps = scores)
        {
            var job = Job.ForThisThread;
            job.Q = pq; job.K = pk; job.V = pv; job.Output = po;
            job.CallerScores = ps;
            job.CallerThread = Environment.CurrentManagedThreadId;
            job.Shape = shape;
            if (shape.Rows * shape.Heads < 2) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
            job.Q = job.K = job.V = job.Output = job.CallerScores = null;
        }
    }

    private sealed unsafe class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        [ThreadStatic] private static float[]? _scores;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public float* Q, K, V, Output;
        // The caller's own scratch: whichever parts the calling thread ends up running (all of them when the pool is busy),
        // it never allocates; the pool's threads size theirs once.
        public float* CallerScores;
        public int CallerThread;
        public AttentionShape Shape;

        public void Execute(int part, int parts)
        {
            var shape = Shape;
            int h = shape.Heads, d = shape.HeadDim, group = shape.Heads / shape.KvHeads;
            float scale = 1f / MathF.Sqrt(d);
            bool caller = Environment.CurrentManagedThreadId == CallerThread;
            if (!caller && (_scores is null || _scores.Length < shape.Capacity)) _scores = new float[shape.Capacity];
            var (first, end) = WorkerPool.Share(shape.Rows * h, part, parts);
            for (int pair = first; pair < end; pair++)
            {
                int t = pair / h, head = pair % h, kvHead = head / group;
                int visible = shape.Causal ? shape.Start + t + 1 : shape.Keys;
                float* qh = Q + (long)(t * h + head) * d;
                float* kh = K + (long)kvHead * shape.Capacity * d;
                float* vh = V + (long)kvHead * shape.Capacity * d;
                var sc = caller ? new Span<float>(CallerScores, visible) : _scores.AsSpan(0, visible);
                for (int s = 0; s < visible; s++)
                    sc[s] = MatMul.Dot(qh, kh + (long)s * d, d) * scale;
                Softmax.Forward(sc);
                WeightedSum(sc, vh, d, Output + (long)(t * h + head) * d);
            }
        }
    }

    /// <summary>o[0..d) = Σ_s p[s]·v[s, 0..d).</summary>
    private static unsafe void WeightedSum(ReadOnlySpan<float> p, float* v, int d, float* o)
    {
        new Span<float>(o, d).Clear();
        int vectorEnd = Vector256.IsHardwareAccelerated ? d & ~7 : 0;
        for (int s = 0; s < p.Length; s++)
        {
            float* vs = v + (long)s * d;
            var w = Vector256.Create(p[s]);
            for (int i = 0; i < vectorEnd; i += 8)
                MatMul.MulAdd(Vector256.Load(vs + i), w, Vector256.Load(o + i)).Store(o + i);
            for (int i = vectorEnd; i < d; i++)
                o[i] += p[s] * vs[i];
        }
    }

    /// <summary>The oracle: explicit loops in double, softmax by definition.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        in AttentionShape shape)
    {
        int h = shape.Heads, d = shape.HeadDim, group = shape.Heads / shape.KvHeads;
        for (int t = 0; t < shape.Rows; t++)
        {
            int visible = shape.Causal ? shape.Start + t + 1 : shape.Keys;
            for (int head = 0; head < h; head++)
            {
                int kv = head / group;
                var p = new double[visible];
                double max = double.NegativeInfinity;
                for (int s = 0; s < visible; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < d; i++)
                        dot += (double)q[(t * h + head) * d + i] * k[(kv * shape.Capacity + s) * d + i];
                    p[s] = dot / Math.Sqrt(d);
                    max = Math.Max(max, p[s]);
                }
                double sum = 0;
                for (int s = 0; s < visible; s++) sum += p[s] = Math.Exp(p[s] - max);
                for (int i = 0; i < d; i++)
                {
                    double acc = 0;
                    for (int s = 0; s < visible; s++)
                        acc += p[s] / sum * v[(kv * shape.Capacity + s) * d + i];
                    output[(t * h + head) * d + i] = (float)acc;
                }
            }
        }
    }
}

/// <summary>The dimensions of one attention call (see <see cref="Attention"/> for the layout).</summary>
public readonly record struct AttentionShape(int Rows, int Heads, int KvHeads, int HeadDim, int Capacity, int Start, int Keys, bool Causal)
{
    internal void Check(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output, Span<float> scores)
    {
        int maxKeys = Causal ? Start + Rows : Keys;
        if (KvHeads <= 0 || Heads % KvHeads != 0)
            throw new ArgumentException($"attention: {Heads} heads are not a multiple of {KvHeads} kv heads");
        if (q.Length < Rows * Heads * HeadDim || output.Length < Rows * Heads * HeadDim
            || k.Length < KvHeads * Capacity * HeadDim || v.Length < KvHeads * Capacity * HeadDim
            || maxKeys > Capacity || scores.Length < maxKeys)
            throw new ArgumentException($"attention shapes: q {q.Length}, k {k.Length}, v {v.Length}, out {output.Length}, scores {scores.Length} for {this}");
    }
}
