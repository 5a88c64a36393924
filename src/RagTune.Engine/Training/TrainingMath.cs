// The three matrix products a forward/backward pass needs, in one place: all go through the packed GEMM (Kernels/Gemm.cs).
// Shapes follow nn.Linear: x [T, In], W [Out, In], y and dy [T, Out].
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Training;

internal static class TrainingMath
{
    /// <summary>y [T, Out] = x [T, In] · Wᵀ (+ b).</summary>
    public static void LinearForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim) =>
        Gemm.MultiplyTransB(x, inDim, w, inDim, y, outDim, rows, outDim, inDim, bias: bias);

    /// <summary>dx [T, In] += dy [T, Out] · W [Out, In].</summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int rows, int inDim, int outDim) =>
        Gemm.Multiply(dy, outDim, w, inDim, dx, inDim, rows, inDim, outDim, accumulate: true);

    /// <summary>dW [Out, In] += dyᵀ [Out, T] · x [T, In]; db [Out] += Σ_t dy[t] when <paramref name="dBias"/> is not empty.</summary>
    public static void BackwardWeight(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, Span<float> dBias,
        int rows, int inDim, int outDim)
    {
        Gemm.MultiplyTransA(dy, outDim, x, inDim, dw, inDim, outDim, inDim, rows, accumulate: true);
        if (!dBias.IsEmpty)
            for (int t = 0; t < rows; t++)
                TensorPrimitives.Add(dBias[..outDim], dy.Slice(t * outDim, outDim), dBias[..outDim]);
    }
}
