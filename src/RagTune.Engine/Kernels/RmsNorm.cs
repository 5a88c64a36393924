// RMSNorm (Qwen2RMSNorm / LlamaRMSNorm): y = w ⊙ x / sqrt(mean(x²) + eps), row by row.
// Shapes: x, y [N, C] (N rows of C), w [C]. Also used for Qwen3's q/k norms with C = head_dim.
// No hand-written 512-bit path (nor in LayerNorm, Softmax): System.Numerics.Tensors already runs on Vector512 where
// the runtime calls it accelerated (DOTNET_PreferredVectorBitWidth=256 narrows it; RAGTUNE_VECTOR_WIDTH does not), and
// side by side its 512-bit form was only 1.04× (RMSNorm) / 1.06× (LayerNorm) the 256-bit one at 256×896 (bench/engine
// `wide`, bench/RESULTS.md): these rows are memory-bound.
using System.Numerics.Tensors;

namespace RagTune.Engine.Kernels;

public static class RmsNorm
{
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int c = weight.Length;
        CheckShapes(x, c, y);
        for (int r = 0; r < x.Length / c; r++)
        {
            var xr = x.Slice(r * c, c);
            var yr = y.Slice(r * c, c);
            float meanSquare = TensorPrimitives.SumOfSquares(xr) / c;
            float scale = 1f / MathF.Sqrt(meanSquare + eps);
            TensorPrimitives.Multiply(xr, scale, yr);
            TensorPrimitives.Multiply(yr, weight, yr);
        }
    }

    public static void ForwardNaive(ReadOnlySpan<float> x, ReadOnlySpan<float> weight, float eps, Span<float> y)
    {
        int c = weight.Length;
        CheckShapes(x, c, y);
        for (int r = 0; r < x.Length / c; r++)
        {
            double ss = 0;
            for (int i = 0; i < c; i++)
                ss += (double)x[r * c + i] * x[r * c + i];
            double inv = 1.0 / Math.Sqrt(ss / c + eps);
            for (int i = 0; i < c; i++)
                y[r * c + i] = (float)(weight[i] * (x[r * c + i] * inv));
        }
    }

    internal static void CheckShapes(ReadOnlySpan<float> x, int c, Span<float> y)
    {
        if (c == 0 || x.Length % c != 0 || y.Length < x.Length)
            throw new ArgumentException($"norm shapes: x {x.Length} is not rows of {c}, or y {y.Length} is shorter");
    }
}
