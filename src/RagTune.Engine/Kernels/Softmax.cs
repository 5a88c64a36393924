// Numerically safe softmax: subtracts the row maximum before exponentiating (TensorPrimitives.SoftMax does not,
// and overflows for logits above ~88).
using System.Numerics.Tensors;

namespace RagTune.Engine.Kernels;

public static class Softmax
{
    /// <summary>In place over one row.</summary>
    public static void Forward(Span<float> x)
    {
        if (x.IsEmpty) return;
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, x);
        TensorPrimitives.Exp(x, x);
        float sum = TensorPrimitives.Sum(x);
        TensorPrimitives.Multiply(x, 1f / sum, x);
    }

    public static void ForwardNaive(Span<float> x)
    {
        if (x.IsEmpty) return;
        double max = double.NegativeInfinity;
        foreach (float v in x) max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += Math.Exp(x[i] - max);
        for (int i = 0; i < x.Length; i++) x[i] = (float)(Math.Exp(x[i] - max) / sum);
    }

    /// <summary>−log softmax(logits)[target] in double (cross-entropy of one row), max-subtracted.</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<float> logits, int target)
    {
        double max = double.NegativeInfinity, sum = 0;
        foreach (float v in logits) max = Math.Max(max, v);
        foreach (float v in logits) sum += Math.Exp(v - max);
        return max + Math.Log(sum) - logits[target];
    }
}
