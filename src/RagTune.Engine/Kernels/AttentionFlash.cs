// Training attention that never holds the T×T scores of a head (FlashAttention-2, Dao 2023, on the CPU): the forward walks
// each block of query rows over tiles of keys with an online softmax and keeps only the row's log-sum-exp; the backward
// recomputes each tile's probabilities from it: P = exp(S·scale − lse), dV += Pᵀ·dO, dP = dO·Vᵀ,
// dS = P∘(dP − rowsum(dO∘O))·scale, dQ += dS·K, dK += dSᵀ·Q. Memory: lse [H, T] instead of probs [H, T, T].
// Layout: q, output [T, H·D]; k, v [T, KV·D]; query head h reads kv head h / (H/KV) (GQA). Causal rows may also start
// later than key 0: rowStart[t] is the first key row t sees (packed sequences: a block-diagonal causal mask).
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class AttentionFlash
{
    /// <summary>Query rows per tile: a multiple of the GEMM micro-kernel's 6 rows. Each tile's GEMMs pack their K/V
    /// panels anew, and the backward's dK/dV products are only RowBlock deep, so taller tiles pay: at T 2,048 (16/8
    /// heads × 128, one thread, GFLOP/s per CPU-second, `bench/engine flash`) 48 rows gave 72 forward / 93 backward,
    /// 96 rows 87 / 103, 192 rows 101 / 115, 288 rows 104 / 115.</summary>
    internal const int RowBlock = 192;

    /// <summary>Keys per tile: a score tile is RowBlock × KeyBlock floats (192 KiB, L2-resident) per thread, whatever
    /// T is (128 keys measured slower in the backward: 106 against 115).</summary>
    internal const int KeyBlock = 256;

    // GEMMs issued from inside a work item run on the item's thread: a one-worker pool never dispatches.
    private static readonly WorkerPool Serial = new(1);

    /// <summary>output [T, H·D] = softmax(q·kᵀ/√D + mask)·v and lse [H, T] = the log of each row's softmax denominator
    /// (of the scaled scores). <paramref name="rowStart"/> [T] (causal only; empty = 0 for every row) is the first key
    /// each row sees.</summary>
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        Span<float> lse, int rows, int heads, int kvHeads, int headDim, bool causal, ReadOnlySpan<int> rowStart = default,
        WorkerPool? pool = null)
    {
        Check(q, k, v, output, lse, rows, heads, kvHeads, headDim, causal, rowStart);
        fixed (float* pq = q, pk = k, pv = v, po = output, pl = lse)
        fixed (int* ps = rowStart)
        {
            var job = ForwardJob.ForThisThread;
            job.Set(pq, pk, pv, po, pl, ps, rows, heads, kvHeads, headDim, causal);
            Dispatch(job, heads * Blocks(rows), pool);
            job.Clear();
        }
    }

    /// <summary>dq [T, H·D], dk, dv [T, KV·D] += the gradients of <see cref="Forward"/> given dout [T, H·D], from its
    /// output and lse. Heads run in parallel; with GQA each head's dK/dV goes to its own slab first and the group's
    /// slabs are summed afterwards, so no two workers write the same row.</summary>
    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> output, ReadOnlySpan<float> lse, Span<float> dq, Span<float> dk, Span<float> dv, int rows, int heads,
        int kvHeads, int headDim, bool causal, ReadOnlySpan<int> rowStart = default, WorkerPool? pool = null)
    {
        Check(q, k, v, output, lse, rows, heads, kvHeads, headDim, causal, rowStart);
        Check(dq, dk, dv, dout, lse, rows, heads, kvHeads, headDim, causal, rowStart);
        var job = BackwardJob.ForThisThread;
        int group = heads / kvHeads, slab = rows * headDim;
        if (group > 1) job.EnsureSlabs(2L * heads * slab);
        fixed (float* pdo = dout, pq = q, pk = k, pv = v, po = output, pl = lse, pdq = dq, pdk = dk, pdv = dv, psl = job.Slabs)
        fixed (int* ps = rowStart)
        {
            job.Set(pq, pk, pv, po, pl, ps, rows, heads, kvHeads, headDim, causal);
            job.DOut = pdo; job.DQ = pdq; job.DK = pdk; job.DV = pdv;
            job.SlabK = group > 1 ? psl : null;
            job.SlabV = group > 1 ? psl + (long)heads * slab : null;
            Dispatch(job, heads, pool);
            job.Clear();
            job.DOut = job.DQ = job.DK = job.DV = job.SlabK = job.SlabV = null;
        }
        if (group == 1) return;
        var slabs = job.Slabs.AsSpan(0, 2 * heads * slab);
        for (int h = 0; h < heads; h++)
        {
            int kv = h / group;
            for (int t = 0; t < rows; t++)
            {
                var dkRow = dk.Slice(t * kvHeads * headDim + kv * headDim, headDim);
                var dvRow = dv.Slice(t * kvHeads * headDim + kv * headDim, headDim);
                TensorPrimitives.Add(dkRow, slabs.Slice(h * slab + t * headDim, headDim), dkRow);
                TensorPrimitives.Add(dvRow, slabs.Slice((heads + h) * slab + t * headDim, headDim), dvRow);
            }
        }
    }

    /// <summary>The oracle of <see cref="Forward"/>: the whole softmax row by definition, in double.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        Span<float> lse, int rows, int heads, int kvHeads, int headDim, bool causal, ReadOnlySpan<int> rowStart = default)
    {
        Check(q, k, v, output, lse, rows, heads, kvHeads, headDim, causal, rowStart);
        int d = headDim;
        for (int h = 0; h < heads; h++)
            for (int t = 0; t < rows; t++)
            {
                var p = NaiveProbabilities(q, k, t, h, rows, heads, kvHeads, d, causal, rowStart, out int lo, out double logSum);
                lse[h * rows + t] = (float)logSum;
                for (int i = 0; i < d; i++)
                {
                    double acc = 0;
                    for (int s = lo; s < lo + p.Length; s++)
                        acc += p[s - lo] * v[(s * kvHeads + h / (heads / kvHeads)) * d + i];
                    output[(t * heads + h) * d + i] = (float)acc;
                }
            }
    }

    /// <summary>The oracle of <see cref="Backward"/>: probabilities remade by definition, gradients in double per row.</summary>
    public static void BackwardNaive(ReadOnlySpan<float> dout, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        Span<float> dq, Span<float> dk, Span<float> dv, int rows, int heads, int kvHeads, int headDim, bool causal,
        ReadOnlySpan<int> rowStart = default)
    {
        int d = headDim, group = heads / kvHeads;
        double scale = 1 / Math.Sqrt(d);
        for (int h = 0; h < heads; h++)
            for (int t = 0; t < rows; t++)
            {
                var p = NaiveProbabilities(q, k, t, h, rows, heads, kvHeads, d, causal, rowStart, out int lo, out _);
                int kv = h / group, qi = (t * heads + h) * d;
                var dp = new double[p.Length];
                double sum = 0;
                for (int j = 0; j < p.Length; j++)
                {
                    int ki = ((lo + j) * kvHeads + kv) * d;
                    for (int i = 0; i < d; i++)
                    {
                        dp[j] += (double)dout[qi + i] * v[ki + i];
                        dv[ki + i] += (float)(p[j] * dout[qi + i]);
                    }
                    sum += p[j] * dp[j];
                }
                for (int j = 0; j < p.Length; j++)
                {
                    double ds = p[j] * (dp[j] - sum) * scale;
                    int ki = ((lo + j) * kvHeads + kv) * d;
                    for (int i = 0; i < d; i++)
                    {
                        dq[qi + i] += (float)(ds * k[ki + i]);
                        dk[ki + i] += (float)(ds * q[qi + i]);
                    }
                }
            }
    }

    /// <summary>Row t of head h's softmax over the keys it sees, [lo, lo + length), and the log of its denominator.</summary>
    private static double[] NaiveProbabilities(ReadOnlySpan<float> q, ReadOnlySpan<float> k, int t, int h, int rows, int heads,
        int kvHeads, int d, bool causal, ReadOnlySpan<int> rowStart, out int lo, out double logSum)
    {
        lo = rowStart.IsEmpty ? 0 : rowStart[t];
        int hi = causal ? t + 1 : rows, kv = h / (heads / kvHeads);
        var p = new double[hi - lo];
        double max = double.NegativeInfinity;
        for (int s = lo; s < hi; s++)
        {
            double dot = 0;
            for (int i = 0; i < d; i++) dot += (double)q[(t * heads + h) * d + i] * k[(s * kvHeads + kv) * d + i];
            p[s - lo] = dot / Math.Sqrt(d);
            max = Math.Max(max, p[s - lo]);
        }
        double sum = 0;
        for (int j = 0; j < p.Length; j++) sum += p[j] = Math.Exp(p[j] - max);
        for (int j = 0; j < p.Length; j++) p[j] /= sum;
        logSum = max + Math.Log(sum);
        return p;
    }

    /// <summary>x ← exp(x·scale − shift) in place (L1-resident tiles: two vector passes cost little beside the GEMMs).</summary>
    private static void ScaledExp(Span<float> x, float scale, float shift)
    {
        TensorPrimitives.Multiply(x, scale, x);
        TensorPrimitives.Subtract(x, shift, x);
        TensorPrimitives.Exp(x, x);
    }

    private static int Blocks(int rows) => (rows + RowBlock - 1) / RowBlock;

    private static void Dispatch(IParallelWork job, int items, WorkerPool? pool)
    {
        pool ??= WorkerPool.Shared;
        if (items < 2 || pool.Workers == 1) job.Execute(0, 1);
        else pool.Run(job);
    }

    private static void Check(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, ReadOnlySpan<float> o,
        ReadOnlySpan<float> lse, int rows, int heads, int kvHeads, int headDim, bool causal, ReadOnlySpan<int> rowStart)
    {
        if (rows < 0 || headDim <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
            throw new EngineException($"attention: {rows} rows, {heads} heads, {kvHeads} kv heads, head_dim {headDim}: heads must be a multiple of kv heads");
        long qn = (long)rows * heads * headDim, kn = (long)rows * kvHeads * headDim, ln = (long)heads * rows;
        if (q.Length < qn || o.Length < qn || k.Length < kn || v.Length < kn || lse.Length < ln)
            throw new EngineException($"attention shapes: q/dq {q.Length}, out {o.Length} (need {qn}); k {k.Length}, v {v.Length} (need {kn}); " +
                $"lse {lse.Length} (need {ln}) for {rows} rows, {heads} heads, {kvHeads} kv heads, head_dim {headDim}");
        if (rowStart.IsEmpty) return;
        if (!causal || rowStart.Length != rows)
            throw new EngineException($"attention: row starts ({rowStart.Length}) need a causal mask and one entry per row ({rows})");
        for (int t = 0; t < rows; t++)
            if (rowStart[t] < 0 || rowStart[t] > t || (t > 0 && rowStart[t] < rowStart[t - 1]))
                throw new EngineException($"attention: row {t} starts at key {rowStart[t]}; starts must be non-decreasing and 0 ≤ start ≤ row");
    }

    /// <summary>A [rows, cols] matrix with row stride ld starting at p, as a span just long enough for the GEMM's check.</summary>
    private static Span<float> Mat(float* p, int rows, int ld, int cols) => new(p, rows == 0 ? 0 : (rows - 1) * ld + cols);

    private static float* Pinned(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length) buffer = GC.AllocateArray<float>(length, pinned: true);
        return (float*)Unsafe.AsPointer(ref buffer[0]);
    }

    /// <summary>What both passes share: the operands, the shape and the mask.</summary>
    private abstract class TileJob
    {
        public float* Q, K, V, O, Lse;
        public int* RowStart;
        public int Rows, Heads, Group, D, Ldq, Ldk;
        public bool Causal;
        public float Scale;

        public void Set(float* q, float* k, float* v, float* o, float* lse, int* rowStart, int rows, int heads, int kvHeads,
            int headDim, bool causal)
        {
            Q = q; K = k; V = v; O = o; Lse = lse; RowStart = rowStart;
            Rows = rows; Heads = heads; Group = heads / kvHeads; D = headDim; Ldq = heads * headDim; Ldk = kvHeads * headDim;
            Causal = causal; Scale = 1f / MathF.Sqrt(headDim);
        }

        public void Clear() { Q = K = V = O = Lse = null; RowStart = null; }

        /// <summary>The keys a block of rows [r0, r0 + rb) may see: [lo, hi).</summary>
        public (int Lo, int Hi) KeyRange(int r0, int rb) =>
            (Causal && RowStart != null ? RowStart[r0] : 0, Causal ? r0 + rb : Rows);

        /// <summary>The part of tile [k0, k0 + kb) row t sees, relative to k0 (empty when lo ≥ hi).</summary>
        public (int Lo, int Hi) Visible(int t, int k0, int kb) =>
            (RowStart != null ? Math.Max(RowStart[t] - k0, 0) : 0, Causal ? Math.Min(t + 1 - k0, kb) : kb);
    }

    /// <summary>One item = one query head × one block of rows; the heaviest (last, under a causal mask) blocks first.</summary>
    private sealed class ForwardJob : TileJob, IParallelWork
    {
        [ThreadStatic] private static ForwardJob? _forThisThread;
        [ThreadStatic] private static float[]? _tile;
        public static ForwardJob ForThisThread => _forThisThread ??= new ForwardJob();

        public void Execute(int part, int parts)
        {
            int blocks = Blocks(Rows);
            var (first, end) = WorkerPool.Share(Heads * blocks, part, parts);
            float* s = Pinned(ref _tile, RowBlock * KeyBlock);
            Span<float> max = stackalloc float[RowBlock], sum = stackalloc float[RowBlock];
            for (int item = first; item < end; item++)
            {
                int head = item % Heads, block = blocks - 1 - item / Heads;
                int r0 = block * RowBlock, rb = Math.Min(RowBlock, Rows - r0);
                float* kh = K + head / Group * D, vh = V + head / Group * D;
                float* qb = Q + (long)r0 * Ldq + head * D, ob = O + (long)r0 * Ldq + head * D;
                var om = Mat(ob, rb, Ldq, D);
                for (int r = 0; r < rb; r++) new Span<float>(ob + (long)r * Ldq, D).Clear();
                max.Fill(float.NegativeInfinity);
                sum.Clear();
                var (lo, hi) = KeyRange(r0, rb);
                for (int k0 = lo; k0 < hi; k0 += KeyBlock)
                {
                    int kb = Math.Min(KeyBlock, hi - k0);
                    var sm = Mat(s, rb, kb, kb);
                    Gemm.MultiplyTransB(Mat(qb, rb, Ldq, D), Ldq, Mat(kh + (long)k0 * Ldk, kb, Ldk, D), Ldk, sm, kb, rb, kb, D, pool: Serial);
                    for (int r = 0; r < rb; r++)
                    {
                        var row = sm.Slice(r * kb, kb);
                        var (a, b) = Visible(r0 + r, k0, kb);
                        if (a >= b)
                        {
                            row.Clear();
                            continue;
                        }
                        // Online softmax: raise the running maximum, rescale what was summed under the old one.
                        var seen = row[a..b];
                        float m = Math.Max(max[r], TensorPrimitives.Max(seen) * Scale);
                        float rescale = MathF.Exp(max[r] - m);   // 0 on the row's first tile (max was −∞)
                        ScaledExp(seen, Scale, m);
                        row[..a].Clear();
                        row[b..].Clear();
                        sum[r] = sum[r] * rescale + TensorPrimitives.Sum(seen);
                        max[r] = m;
                        if (rescale != 1f)
                        {
                            var o = new Span<float>(ob + (long)r * Ldq, D);
                            TensorPrimitives.Multiply(o, rescale, o);
                        }
                    }
                    Gemm.Multiply(sm, kb, Mat(vh + (long)k0 * Ldk, kb, Ldk, D), Ldk, om, Ldq, rb, D, kb, accumulate: true, pool: Serial);
                }
                for (int r = 0; r < rb; r++)
                {
                    var o = new Span<float>(ob + (long)r * Ldq, D);
                    TensorPrimitives.Multiply(o, 1f / sum[r], o);
                    Lse[(long)head * Rows + r0 + r] = max[r] + MathF.Log(sum[r]);
                }
            }
        }
    }

    /// <summary>One item = one query head: its row blocks in turn, each over its tiles of keys.</summary>
    private sealed class BackwardJob : TileJob, IParallelWork
    {
        [ThreadStatic] private static BackwardJob? _forThisThread;
        [ThreadStatic] private static float[]? _p, _ds;
        public static BackwardJob ForThisThread => _forThisThread ??= new BackwardJob();

        public float* DOut, DQ, DK, DV, SlabK, SlabV;
        public float[] Slabs = [];

        public void EnsureSlabs(long floats)
        {
            if (Slabs.Length < floats) Slabs = GC.AllocateArray<float>(checked((int)floats), pinned: true);
        }

        public void Execute(int part, int parts)
        {
            var (first, end) = WorkerPool.Share(Heads, part, parts);
            float* p = Pinned(ref _p, RowBlock * KeyBlock), ds = Pinned(ref _ds, RowBlock * KeyBlock);
            Span<float> delta = stackalloc float[RowBlock];
            for (int head = first; head < end; head++)
            {
                int kv = head / Group;
                float* kh = K + kv * D, vh = V + kv * D;
                // Where this head's dK/dV go: straight into the gradients when it is the only head of its KV head,
                // else into its own slab [T, D].
                float* dkh = SlabK != null ? SlabK + (long)head * Rows * D : DK + kv * D;
                float* dvh = SlabV != null ? SlabV + (long)head * Rows * D : DV + kv * D;
                int ldkv = SlabK != null ? D : Ldk;
                if (SlabK != null)
                {
                    new Span<float>(dkh, Rows * D).Clear();
                    new Span<float>(dvh, Rows * D).Clear();
                }
                for (int r0 = 0; r0 < Rows; r0 += RowBlock)
                {
                    int rb = Math.Min(RowBlock, Rows - r0);
                    float* dob = DOut + (long)r0 * Ldq + head * D, qb = Q + (long)r0 * Ldq + head * D;
                    float* ob = O + (long)r0 * Ldq + head * D, dqb = DQ + (long)r0 * Ldq + head * D;
                    var dom = Mat(dob, rb, Ldq, D);
                    var qm = Mat(qb, rb, Ldq, D);
                    for (int r = 0; r < rb; r++)
                        delta[r] = TensorPrimitives.Dot(new ReadOnlySpan<float>(dob + (long)r * Ldq, D), new ReadOnlySpan<float>(ob + (long)r * Ldq, D));
                    var (lo, hi) = KeyRange(r0, rb);
                    for (int k0 = lo; k0 < hi; k0 += KeyBlock)
                    {
                        int kb = Math.Min(KeyBlock, hi - k0);
                        var pm = Mat(p, rb, kb, kb);
                        var dsm = Mat(ds, rb, kb, kb);
                        var km = Mat(kh + (long)k0 * Ldk, kb, Ldk, D);
                        Gemm.MultiplyTransB(qm, Ldq, km, Ldk, pm, kb, rb, kb, D, pool: Serial);
                        Gemm.MultiplyTransB(dom, Ldq, Mat(vh + (long)k0 * Ldk, kb, Ldk, D), Ldk, dsm, kb, rb, kb, D, pool: Serial);
                        for (int r = 0; r < rb; r++)
                        {
                            var pr = pm.Slice(r * kb, kb);
                            var dsr = dsm.Slice(r * kb, kb);
                            var (a, b) = Visible(r0 + r, k0, kb);
                            if (a >= b)
                            {
                                pr.Clear();
                                dsr.Clear();
                                continue;
                            }
                            // P = exp(S·scale − lse); dS = P∘(dP − Δ)·scale; keys the row does not see get P = dS = 0.
                            var seen = pr[a..b];
                            ScaledExp(seen, Scale, Lse[(long)head * Rows + r0 + r]);
                            pr[..a].Clear();
                            pr[b..].Clear();
                            TensorPrimitives.Subtract(dsr, delta[r], dsr);
                            TensorPrimitives.Multiply(dsr, pr, dsr);
                            TensorPrimitives.Multiply(dsr, Scale, dsr);
                        }
                        Gemm.MultiplyTransA(pm, kb, dom, Ldq, Mat(dvh + (long)k0 * ldkv, kb, ldkv, D), ldkv, kb, D, rb, accumulate: true, pool: Serial);
                        Gemm.Multiply(dsm, kb, km, Ldk, Mat(dqb, rb, Ldq, D), Ldq, rb, D, kb, accumulate: true, pool: Serial);
                        Gemm.MultiplyTransA(dsm, kb, qm, Ldq, Mat(dkh + (long)k0 * ldkv, kb, ldkv, D), ldkv, kb, D, rb, accumulate: true, pool: Serial);
                    }
                }
            }
        }
    }
}
