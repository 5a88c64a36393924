// The three matrix products a forward/backward pass needs, in one place so the packed GEMM can replace them in one edit.
// Shapes follow nn.Linear: x [T, In], W [Out, In], y and dy [T, Out].
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Training;

internal static class TrainingMath
{
    /// <summary>y [T, Out] = x [T, In] · Wᵀ (+ b).</summary>
    public static void LinearForward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, ReadOnlySpan<float> bias, Span<float> y,
        int rows, int inDim, int outDim) =>
        MatMul.Forward(x, w, bias, y, rows, inDim, outDim);

    /// <summary>dx [T, In] += dy [T, Out] · W [Out, In].</summary>
    public static void BackwardInput(ReadOnlySpan<float> dy, ReadOnlySpan<float> w, Span<float> dx, int rows, int inDim, int outDim)
    {
        for (int t = 0; t < rows; t++)
        {
            var dxr = dx.Slice(t * inDim, inDim);
            var dyr = dy.Slice(t * outDim, outDim);
            for (int o = 0; o < outDim; o++)
            {
                float g = dyr[o];
                if (g != 0f)
                    TensorPrimitives.MultiplyAdd(w.Slice(o * inDim, inDim), g, dxr, dxr);
            }
        }
    }

    /// <summary>dW [Out, In] += dyᵀ [Out, T] · x [T, In]; db [Out] += Σ_t dy[t] when <paramref name="dBias"/> is not empty.</summary>
    public static void BackwardWeight(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, Span<float> dw, Span<float> dBias,
        int rows, int inDim, int outDim)
    {
        for (int t = 0; t < rows; t++)
        {
            var xr = x.Slice(t * inDim, inDim);
            var dyr = dy.Slice(t * outDim, outDim);
            for (int o = 0; o < outDim; o++)
            {
                float g = dyr[o];
                if (g != 0f)
                    TensorPrimitives.MultiplyAdd(xr, g, dw.Slice(o * inDim, inDim), dw.Slice(o * inDim, inDim));
            }
            if (!dBias.IsEmpty)
                TensorPrimitives.Add(dBias[..outDim], dyr, dBias[..outDim]);
        }
    }
}
