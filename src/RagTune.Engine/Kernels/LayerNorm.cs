// LayerNorm (nn.LayerNorm, biased variance): y = (x - mean) / sqrt(var + eps) ⊙ w + b, row by row.
// Shapes: x, y [N, C], w, b [C].
using System.Numerics.Tensors;

namespace RagTune.Engine.Kernels;

public static class LayerNorm
{
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        int c = weight.Length;
        RmsNorm.CheckShapes(x, c, y);
        for (int r = 0; r < x.Length / c; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            float mean = TensorPrimitives.Sum(xr) / c;
            TensorPrimitives.Subtract(xr, mean, yr);
            float variance = TensorPrimitives.SumOfSquares(yr) / c;
            TensorPrimitives.Multiply(yr, 1f / MathF.Sqrt(variance + eps), yr);
            TensorPrimitives.FusedMultiplyAdd(yr, weight, bias, yr);
        }
    }

    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, float eps, Span<float> y)
    {
        int c = weight.Length;
        RmsNorm.CheckShapes(x, c, y);
        for (int r = 0; r < x.Length / c; r++)
        {
            double mean = 0, variance = 0;
            for (int i = 0; i < c; i++) mean += x[r * c + i];
            mean /= c;
            for (int i = 0; i < c; i++) variance += (x[r * c + i] - mean) * (x[r * c + i] - mean);
            variance /= c;
            double inv = 1.0 / Math.Sqrt(variance + eps);
            for (int i = 0; i < c; i++)
                y[r * c + i] = (float)((x[r * c + i] - mean) * inv * weight[i] + bias[i]);
        }
    }
}
