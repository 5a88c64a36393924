// Forward/backward pairs of the Llama-family decoder's layers over flat spans, the llm.c way. Letters: T tokens,
// C channels, H query heads, KV key/value heads, D head_dim, I intermediate size, V vocabulary.
// Every backward *accumulates* into its gradient outputs (callers clear them), so branches that meet add up naturally.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Training;

public static class DecoderPasses
{
    /// <summary>y [N, C] = w ⊙ x / √(mean(x²)+eps); saves rstd [N] for the backward.</summary>
    public static void RmsNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, float eps, Span<float> y, Span<float> rstd)
    {
        int c = w.Length, n = x.Length / c;
        for (int r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            float s = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(xr) / c + eps);
            rstd[r] = s;
            var yr = y.Slice(r * c, c);
            TensorPrimitives.Multiply(xr, s, yr);
            TensorPrimitives.Multiply(yr, w, yr);
        }
    }

    /// <summary>dx [N, C] += ∂/∂x; dw [C] += ∂/∂w (skipped when empty: a frozen norm).</summary>
    public static void RmsNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> rstd,
        Span<float> dx, Span<float> dw)
    {
        int c = w.Length, n = x.Length / c;
        Span<float> wdy = c <= 4096 ? stackalloc float[c] : new float[c];
        for (int r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var dyr = dy.Slice(r * c, c);
            float s = rstd[r];
            TensorPrimitives.Multiply(w, dyr, wdy);
            // dx = s·(w⊙dy) − x·s³/C·Σ(w⊙dy⊙x)
            float dot = TensorPrimitives.Dot(wdy, xr);
            var dxr = dx.Slice(r * c, c);
            TensorPrimitives.MultiplyAdd(wdy, s, dxr, dxr);
            TensorPrimitives.MultiplyAdd(xr, -dot * s * s * s / c, dxr, dxr);
            if (!dw.IsEmpty)
                for (int i = 0; i < c; i++)
                    dw[i] += dyr[i] * xr[i] * s;
        }
    }

    /// <summary>The transpose of <see cref="Kernels.Rope.Apply"/> at positions 0..T-1, in place on dx [T, heads·D].</summary>
    public static void RopeBackward(Span<float> dx, int rows, int heads, int headDim, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = headDim / 2;
        for (int t = 0; t < rows; t++)
            for (int h = 0; h < heads; h++)
            {
                var head = dx.Slice((t * heads + h) * headDim, headDim);
                for (int i = 0; i < half; i++)
                {
                    float c = cos[t * half + i], s = sin[t * half + i];
                    float d1 = head[i], d2 = head[i + half];
                    head[i] = d1 * c + d2 * s;
                    head[i + half] = d2 * c - d1 * s;
                }
            }
    }

    /// <summary>GQA attention, causal (decoder) or over all rows (encoder). q [T, H·D], k and v [T, KV·D], output [T, H·D];
    /// saves lse [H, T], each row's log-sum-exp, never the [H, T, T] probabilities (<see cref="AttentionFlash.Forward"/>:
    /// tiles of keys with an online softmax, heads and row blocks in parallel). <paramref name="rowStart"/> [T] (causal
    /// only; empty = 0) is the first key each row sees: packed sequences attend only within their own example.</summary>
    public static void AttentionForward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        Span<float> lse, int rows, int heads, int kvHeads, int headDim, bool causal = true, ReadOnlySpan<int> rowStart = default)
        => AttentionFlash.Forward(q, k, v, output, lse, rows, heads, kvHeads, headDim, causal, rowStart);

    /// <summary>dq [T, H·D], dk and dv [T, KV·D] += the gradients of <see cref="AttentionForward"/> given dout [T, H·D], its
    /// output and lse: each tile's probabilities are recomputed.</summary>
    public static void AttentionBackward(ReadOnlySpan<float> dout, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> output, ReadOnlySpan<float> lse, Span<float> dq, Span<float> dk, Span<float> dv, int rows, int heads,
        int kvHeads, int headDim, bool causal = true, ReadOnlySpan<int> rowStart = default)
        => AttentionFlash.Backward(dout, q, k, v, output, lse, dq, dk, dv, rows, heads, kvHeads, headDim, causal, rowStart);

    /// <summary>y [T, I] = silu(g) ⊙ u.</summary>
    public static void SwiGluForward(ReadOnlySpan<float> g, ReadOnlySpan<float> u, Span<float> y)
    {
        for (int i = 0; i < g.Length; i++)
            y[i] = g[i] / (1f + MathF.Exp(-g[i])) * u[i];
    }

    /// <summary>dg, du [T, I] += the gradients of <see cref="SwiGluForward"/>.</summary>
    public static void SwiGluBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> g, ReadOnlySpan<float> u, Span<float> dg, Span<float> du)
    {
        for (int i = 0; i < g.Length; i++)
        {
            float sig = 1f / (1f + MathF.Exp(-g[i]));
            float silu = g[i] * sig;
            du[i] += dy[i] * silu;
            dg[i] += dy[i] * u[i] * sig * (1f + g[i] * (1f - sig));
        }
    }

    /// <summary>y [T, I] = gelu_new(x) (GPT-2's tanh GELU).</summary>
    public static void GeluTanhForward(ReadOnlySpan<float> x, Span<float> y)
    {
        x.CopyTo(y);
        Activations.GeluTanh(y[..x.Length]);
    }

    /// <summary>dx [T, I] += the gradient of <see cref="GeluTanhForward"/>: with u = √(2/π)·(x + 0.044715·x³),
    /// d/dx = 0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²).</summary>
    public static void GeluTanhBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx)
    {
        const float k = 0.7978845608f, c = 0.044715f;
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i], th = MathF.Tanh(k * (v + c * v * v * v));
            dx[i] += dy[i] * (0.5f * (1f + th) + 0.5f * v * (1f - th * th) * k * (1f + 3f * c * v * v));
        }
    }

    /// <summary>Cross-entropy of logits [T, V] against targets [T] (−1 = masked). Returns Σ −log p(target) over the unmasked
    /// rows and overwrites logits with dLoss/dlogits = (softmax − onehot)·<paramref name="gradScale"/> (0 on masked rows).
    /// Rows run in parallel on the pool, in float32 with one exp per logit (a 2,048-token step has 311 M of them at
    /// V = 151,936: the scalar double loop that did two exps each took ~12 % of a 2-layer step).</summary>
    public static unsafe double CrossEntropyForwardBackward(Span<float> logits, ReadOnlySpan<int> targets, int vocab, float gradScale,
        WorkerPool? pool = null)
    {
        if (logits.Length < (long)targets.Length * vocab)
            throw new ArgumentException($"logits hold {logits.Length} floats, expected {targets.Length} rows of {vocab}");
        pool ??= WorkerPool.Shared;
        var job = CrossEntropyRows.ForThisThread;
        fixed (float* p = logits)
        fixed (int* t = targets)
        {
            job.Set(p, t, targets.Length, vocab, gradScale);
            if (targets.Length < 2 || pool.Workers == 1) job.Execute(0, 1);
            else pool.Run(job);
            job.Set(null, null, 0, 0, 0);
        }
        double loss = 0;
        for (int i = 0; i < targets.Length; i++) loss += job.Losses[i];
        return loss;
    }

    /// <summary>The rows of <see cref="CrossEntropyForwardBackward"/>, a share of them per worker. A row is one vocabulary
    /// (~600 KB at V = 151,936, L2-resident): max, exp(z − max) in place, its sum, then the scaling to the gradient.</summary>
    private sealed unsafe class CrossEntropyRows : IParallelWork
    {
        [ThreadStatic] private static CrossEntropyRows? _forThisThread;
        public static CrossEntropyRows ForThisThread => _forThisThread ??= new CrossEntropyRows();

        private float* _logits;
        private int* _targets;
        private int _rows, _vocab;
        private float _gradScale;
        public double[] Losses { get; private set; } = [];

        public void Set(float* logits, int* targets, int rows, int vocab, float gradScale)
        {
            _logits = logits;
            _targets = targets;
            (_rows, _vocab, _gradScale) = (rows, vocab, gradScale);
            if (Losses.Length < rows) Losses = new double[rows];
        }

        public void Execute(int part, int parts)
        {
            var (r0, r1) = WorkerPool.Share(_rows, part, parts);
            for (int r = r0; r < r1; r++)
            {
                var row = new Span<float>(_logits + (long)r * _vocab, _vocab);
                int target = _targets[r];
                if (target < 0)
                {
                    row.Clear();
                    Losses[r] = 0;
                    continue;
                }
                float max = TensorPrimitives.Max(row), zt = row[target];
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp(row, row);
                float sum = TensorPrimitives.Sum(row);
                Losses[r] = Math.Log(sum) - (zt - max);
                TensorPrimitives.Multiply(row, _gradScale / sum, row);
                row[target] -= _gradScale;
            }
        }
    }
}
