// Attention over many query rows through the packed GEMM: per (query head, block of rows) S = Q·Kᵀ, causal mask,
// max-subtracted softmax, O = P·V (training attention is AttentionFlash). Replaces the per-(row, head) Dot loops, which
// are latency-bound at head_dim 64.
// Decoding (a few query rows over a long KV cache) takes the grouped form instead: with GQA the query heads of one KV
// head are adjacent in a row of q, so per (row, KV head) S = Q_group·Kᵀ and O = P·V are two GEMMs whose B operand (the
// cached keys, the cached values) is read and packed once for the whole group instead of once per query head.
// Both run on the GEMM's micro-kernel, so they take its 512-bit path where KernelDispatch chose it; GEMMs issued from a
// work item run on the item's thread at the width the dispatching thread chose.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class AttentionBlocked
{
    /// <summary>Query rows per GEMM block: a multiple of the micro-kernel's 6 rows, small enough that a causal block
    /// wastes little on masked keys and that a 256-token prompt still yields several blocks per head.</summary>
    internal const int RowBlock = 48;

    /// <summary>Whether <see cref="Attention.Forward"/> should take the blocked path: measured on the 0.5B shape (14 heads,
    /// 2 KV heads, D 64, one thread, CPU time) the GEMM's packing pays from ~12 rows after a 256-key cached prefix and
    /// from ~32 rows on an empty cache; below that the per-(row, head) loop is as fast or faster.</summary>
    public static bool Pays(in AttentionShape shape)
        => shape.Rows >= 16 && (shape.Causal ? shape.Start + shape.Rows : shape.Keys) >= 32;

    /// <summary>Whether <see cref="Attention.Forward"/> should take <see cref="ForwardGrouped"/> (when <see cref="Pays"/>
    /// does not): measured on the 0.5B shape (14 heads, 2 KV heads, D 64; bench/engine `attention`) the grouped GEMMs
    /// beat the per-(row, head) loop from ~64 cached keys with 7 heads per KV head; without GQA (one head per KV head)
    /// there is nothing to share.</summary>
    public static bool PaysGrouped(in AttentionShape shape)
        => shape.Heads / shape.KvHeads >= 2 && (shape.Causal ? shape.Start + 1 : shape.Keys) >= GroupedMinKeys;

    /// <summary>The fewest visible keys at which <see cref="PaysGrouped"/> says yes.</summary>
    internal const int GroupedMinKeys = 64;

    // GEMMs issued from inside a work item run on the item's thread: a one-worker pool never dispatches.
    private static readonly WorkerPool Serial = new(1);

    /// <summary>The inference layout of <see cref="Attention"/>, one work item per (query row, KV head): the group's
    /// query heads as the rows of one GEMM over the cached keys and one over the cached values.</summary>
    public static void ForwardGrouped(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        in AttentionShape shape, WorkerPool? pool = null)
    {
        CheckInference(q, k, v, output, shape);
        fixed (float* pq = q, pk = k, pv = v, po = output)
        {
            var job = GroupedJob.ForThisThread;
            job.Q = pq; job.K = pk; job.V = pv; job.O = po;
            job.Shape = shape;
            job.Width = KernelDispatch.Width;
            Dispatch(job, shape.Rows * shape.KvHeads, pool);
            job.Q = job.K = job.V = job.O = null;
        }
    }

    /// <summary>The inference layout of <see cref="Attention"/>: q, output [T, H·D]; k, v [KV, cap, D] (the KV cache),
    /// query row t at position start + t.</summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        in AttentionShape shape, WorkerPool? pool = null)
    {
        CheckInference(q, k, v, output, shape);
        fixed (float* pq = q, pk = k, pv = v, po = output)
        {
            var job = ForwardJob.ForThisThread;
            job.Q = pq; job.K = pk; job.V = pv; job.O = po;
            job.Rows = shape.Rows; job.Heads = shape.Heads; job.Group = shape.Heads / shape.KvHeads; job.D = shape.HeadDim;
            job.Ldq = shape.Heads * shape.HeadDim; job.Ldk = shape.HeadDim; job.KvHeadStride = (long)shape.Capacity * shape.HeadDim;
            job.Start = shape.Start; job.Keys = shape.Keys; job.Causal = shape.Causal;
            job.Width = KernelDispatch.Width;
            Dispatch(job, job.Heads * Blocks(shape.Rows), pool);
            job.Q = job.K = job.V = job.O = null;
        }
    }

    /// <summary>The shape check of the inference layout (<see cref="Forward"/>, <see cref="ForwardGrouped"/>).</summary>
    private static void CheckInference(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        in AttentionShape shape)
    {
        int maxKeys = shape.Causal ? shape.Start + shape.Rows : shape.Keys;
        long qn = (long)shape.Rows * shape.Heads * shape.HeadDim, kn = (long)shape.KvHeads * shape.Capacity * shape.HeadDim;
        if (shape.KvHeads <= 0 || shape.Heads % shape.KvHeads != 0 || q.Length < qn || output.Length < qn
            || k.Length < kn || v.Length < kn || maxKeys > shape.Capacity || (shape.Rows > 0 && maxKeys < 1))
            throw new EngineException($"attention shapes: q {q.Length}, out {output.Length} (need {qn}), k {k.Length}, v {v.Length} " +
                $"(need {kn}), {maxKeys} keys (need 1 to the capacity {shape.Capacity}), for {shape}");
    }

    private static int Blocks(int rows) => (rows + RowBlock - 1) / RowBlock;

    private static void Dispatch(IParallelWork job, int items, WorkerPool? pool)
    {
        pool ??= WorkerPool.Shared;
        if (items < 2 || pool.Workers == 1) job.Execute(0, 1);
        else pool.Run(job);
    }

    /// <summary>x ← exp((x − max x)·scale) in place, the softmax numerator of scaled scores with the maximum subtracted
    /// (as <see cref="Softmax.Forward"/>, with the scaling folded into the same pass); returns Σ x.</summary>
    private static float ScaledExp(Span<float> x, float scale)
    {
        float max = TensorPrimitives.Max(x);
        float shift = -max * scale;
        fixed (float* p = x)
        {
            int i = 0;
            if (KernelDispatch.Width == VectorWidth.Bits512)
            {
                Vector512<float> vs = Vector512.Create(scale), vb = Vector512.Create(shift);
                for (; i <= x.Length - 16; i += 16)
                    Vector512.FusedMultiplyAdd(Vector512.Load(p + i), vs, vb).Store(p + i);
            }
            if (Vector256.IsHardwareAccelerated)
            {
                Vector256<float> vs = Vector256.Create(scale), vb = Vector256.Create(shift);
                for (; i <= x.Length - 8; i += 8)
                    MatMul.MulAdd(Vector256.Load(p + i), vs, vb).Store(p + i);
            }
            for (; i < x.Length; i++) p[i] = p[i] * scale + shift;
        }
        TensorPrimitives.Exp(x, x);
        return TensorPrimitives.Sum(x);
    }

    /// <summary>A [rows, cols] matrix with row stride ld starting at p, as a span just long enough for the GEMM's check.</summary>
    private static Span<float> Mat(float* p, int rows, int ld, int cols) => new(p, rows == 0 ? 0 : (rows - 1) * ld + cols);

    /// <summary>One item = one query head × one block of rows; the heaviest (last, under a causal mask) blocks first.</summary>
    private sealed class ForwardJob : IParallelWork
    {
        [ThreadStatic] private static ForwardJob? _forThisThread;
        [ThreadStatic] private static float[]? _scores;
        public static ForwardJob ForThisThread => _forThisThread ??= new ForwardJob();

        public float* Q, K, V, O;
        public int Rows, Heads, Group, D, Ldq, Ldk, Start, Keys;
        public long KvHeadStride;
        public bool Causal;
        public VectorWidth Width;

        public void Execute(int part, int parts)
        {
            var previous = KernelDispatch.Enter(Width);
            try { Items(part, parts); }
            finally { KernelDispatch.Leave(previous); }
        }

        private void Items(int part, int parts)
        {
            int blocks = Blocks(Rows);
            var (first, end) = WorkerPool.Share(Heads * blocks, part, parts);
            float scale = 1f / MathF.Sqrt(D);
            Span<float> inverse = stackalloc float[RowBlock];
            for (int item = first; item < end; item++)
            {
                int head = item % Heads, block = blocks - 1 - item / Heads;
                int r0 = block * RowBlock, rb = Math.Min(RowBlock, Rows - r0);
                int keys = Causal ? Start + r0 + rb : Keys;
                float* kh = K + head / Group * KvHeadStride, vh = V + head / Group * KvHeadStride;
                float* qb = Q + (long)r0 * Ldq + head * D, ob = O + (long)r0 * Ldq + head * D;
                if (_scores is null || _scores.Length < RowBlock * keys)
                    _scores = GC.AllocateArray<float>(RowBlock * Math.Max(keys, 256), pinned: true);
                float* s = (float*)Unsafe.AsPointer(ref _scores[0]);
                int lds = keys;
                Gemm.MultiplyTransB(Mat(qb, rb, Ldq, D), Ldq, Mat(kh, keys, Ldk, D), Ldk, Mat(s, rb, lds, keys), lds, rb, keys, D, pool: Serial);
                // The 1/Σ goes onto the D outputs of the row after P·V instead of onto its (usually more) keys.
                for (int r = 0; r < rb; r++)
                {
                    int visible = Causal ? Start + r0 + r + 1 : Keys;
                    var row = new Span<float>(s + (long)r * lds, lds);
                    var seen = row[..visible];
                    inverse[r] = 1f / ScaledExp(seen, scale);
                    row[visible..].Clear();
                }
                Gemm.Multiply(Mat(s, rb, lds, keys), lds, Mat(vh, keys, Ldk, D), Ldk, Mat(ob, rb, Ldq, D), Ldq, rb, D, keys, pool: Serial);
                for (int r = 0; r < rb; r++)
                {
                    var o = new Span<float>(ob + (long)r * Ldq, D);
                    TensorPrimitives.Multiply(o, inverse[r], o);
                }
            }
        }
    }

    /// <summary>One item = one query row × one KV head: S [group, keys] = Q_group·Kᵀ, the scaled softmax per row,
    /// O_group = P·V with 1/Σ applied to the D outputs.</summary>
    private sealed class GroupedJob : IParallelWork
    {
        [ThreadStatic] private static GroupedJob? _forThisThread;
        [ThreadStatic] private static float[]? _scores, _inverse;
        public static GroupedJob ForThisThread => _forThisThread ??= new GroupedJob();

        public float* Q, K, V, O;
        public AttentionShape Shape;
        public VectorWidth Width;

        public void Execute(int part, int parts)
        {
            var previous = KernelDispatch.Enter(Width);
            try { Items(part, parts); }
            finally { KernelDispatch.Leave(previous); }
        }

        private void Items(int part, int parts)
        {
            var shape = Shape;
            int d = shape.HeadDim, group = shape.Heads / shape.KvHeads, ld = shape.Heads * d;
            float scale = 1f / MathF.Sqrt(d);
            var (first, end) = WorkerPool.Share(shape.Rows * shape.KvHeads, part, parts);
            for (int item = first; item < end; item++)
            {
                int t = item / shape.KvHeads, kv = item % shape.KvHeads;
                int keys = shape.Causal ? shape.Start + t + 1 : shape.Keys;
                if (_scores is null || _scores.Length < group * keys)
                    _scores = GC.AllocateArray<float>(group * Math.Max(keys, 256), pinned: true);
                if (_inverse is null || _inverse.Length < group) _inverse = new float[group];
                float* s = (float*)Unsafe.AsPointer(ref _scores[0]);
                float* qg = Q + (long)t * ld + kv * group * d, og = O + (long)t * ld + kv * group * d;
                float* kh = K + kv * (long)shape.Capacity * d, vh = V + kv * (long)shape.Capacity * d;
                Gemm.MultiplyTransB(Mat(qg, group, d, d), d, Mat(kh, keys, d, d), d, Mat(s, group, keys, keys), keys, group, keys, d, pool: Serial);
                for (int r = 0; r < group; r++)
                    _inverse[r] = 1f / ScaledExp(new Span<float>(s + (long)r * keys, keys), scale);
                Gemm.Multiply(Mat(s, group, keys, keys), keys, Mat(vh, keys, d, d), d, Mat(og, group, d, d), d, group, d, keys, pool: Serial);
                for (int r = 0; r < group; r++)
                {
                    var o = new Span<float>(og + (long)r * d, d);
                    TensorPrimitives.Multiply(o, _inverse[r], o);
                }
            }
        }
    }
}
