// Forward/backward pairs of the BERT encoder's own layers (LayerNorm with bias, erf GELU, CLS/mean/last-token pooling, L2
// normalisation) over flat spans. Backwards accumulate into their gradient outputs. Letters: N rows, C channels.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

public static class EncoderPasses
{
    /// <summary>y [N, C] = (x − mean)·rstd ⊙ w + b; stats [2, N] saves mean (first N) and rstd (next N).</summary>
    public static void LayerNormForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> b, float eps, Span<float> y, Span<float> stats)
    {
        int c = w.Length, n = x.Length / c;
        for (int r = 0; r < n; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            float mean = TensorPrimitives.Sum(xr) / c;
            TensorPrimitives.Subtract(xr, mean, yr);
            float rstd = 1f / MathF.Sqrt(TensorPrimitives.SumOfSquares(yr) / c + eps);
            stats[r] = mean;
            stats[n + r] = rstd;
            TensorPrimitives.Multiply(yr, rstd, yr);
            TensorPrimitives.MultiplyAdd(yr, w, b, yr);
        }
    }

    /// <summary>dx [N, C] += ∂/∂x; dw, db [C] += (skipped when empty).</summary>
    public static void LayerNormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> stats,
        Span<float> dx, Span<float> dw, Span<float> db)
    {
        int c = w.Length, n = x.Length / c;
        var xhat = new float[c];
        var g = new float[c];
        for (int r = 0; r < n; r++)
        {
            var dyr = dy.Slice(r * c, c);
            TensorPrimitives.Subtract(x.Slice(r * c, c), stats[r], xhat);
            TensorPrimitives.Multiply(xhat, stats[n + r], xhat);
            TensorPrimitives.Multiply(dyr, w, g);
            float meanG = TensorPrimitives.Sum(g) / c, meanGx = TensorPrimitives.Dot(g, xhat) / c;
            // dx = rstd·(g − mean(g) − x̂·mean(g·x̂))
            var dxr = dx.Slice(r * c, c);
            for (int i = 0; i < c; i++)
                dxr[i] += stats[n + r] * (g[i] - meanG - xhat[i] * meanGx);
            if (!dw.IsEmpty) TensorPrimitives.MultiplyAdd(dyr, xhat, dw, dw);
            if (!db.IsEmpty) TensorPrimitives.Add(db, dyr, db);
        }
    }

    /// <summary>y = x·Φ(x) with the erf GELU (BERT's "gelu").</summary>
    public static void GeluForward(ReadOnlySpan<float> x, Span<float> y)
    {
        x.CopyTo(y);
        Activations.Gelu(y[..x.Length]);
    }

    /// <summary>dx += dy·(Φ(x) + x·φ(x)).</summary>
    public static void GeluBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dx)
    {
        const float InvSqrt2Pi = 0.3989422804f;
        for (int i = 0; i < x.Length; i++)
        {
            float cdf = 0.5f * (1f + Activations.Erf(x[i] * 0.70710678f));
            dx[i] += dy[i] * (cdf + x[i] * InvSqrt2Pi * MathF.Exp(-0.5f * x[i] * x[i]));
        }
    }

    /// <summary>pooled [C] from hidden [T, C]: the first row (CLS), the last row (last token) or the mean of all rows.</summary>
    public static void PoolForward(ReadOnlySpan<float> hidden, int tokens, PoolingMode mode, Span<float> pooled)
    {
        int c = pooled.Length;
        if (mode is PoolingMode.Cls or PoolingMode.LastToken)
        {
            hidden.Slice(mode == PoolingMode.Cls ? 0 : (tokens - 1) * c, c).CopyTo(pooled);
            return;
        }
        pooled.Clear();
        for (int t = 0; t < tokens; t++) TensorPrimitives.Add(pooled, hidden.Slice(t * c, c), pooled);
        TensorPrimitives.Multiply(pooled, 1f / tokens, pooled);
    }

    /// <summary>dhidden [T, C] += the gradient of <see cref="PoolForward"/>.</summary>
    public static void PoolBackward(ReadOnlySpan<float> dPooled, int tokens, PoolingMode mode, Span<float> dHidden)
    {
        int c = dPooled.Length;
        if (mode is PoolingMode.Cls or PoolingMode.LastToken)
        {
            var row = dHidden.Slice(mode == PoolingMode.Cls ? 0 : (tokens - 1) * c, c);
            TensorPrimitives.Add(row, dPooled, row);
            return;
        }
        for (int t = 0; t < tokens; t++)
            TensorPrimitives.MultiplyAdd(dPooled, 1f / tokens, dHidden.Slice(t * c, c), dHidden.Slice(t * c, c));
    }

    /// <summary>In place: d (w.r.t. e = p/|p|) → d (w.r.t. p) = (d − e·(e·d)) / |p|.</summary>
    public static void NormalizeBackward(ReadOnlySpan<float> p, Span<float> d)
    {
        float norm = TensorPrimitives.Norm(p);
        var e = new float[p.Length];
        TensorPrimitives.Divide(p, norm, e);
        float dot = TensorPrimitives.Dot(e, d);
        for (int i = 0; i < d.Length; i++) d[i] = (d[i] - e[i] * dot) / norm;
    }
}
