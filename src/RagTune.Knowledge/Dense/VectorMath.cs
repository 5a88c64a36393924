// Metric-aware scoring shared by the vector indexes; the SIMD work is TensorPrimitives' (the scan is memory-bound).
using System.Numerics.Tensors;

namespace RagTune.Knowledge.Dense;

internal static class VectorMath
{
    /// <summary>Similarity of a and b under the metric; for cosine both are expected to be normalised already.</summary>
    public static float Score(VectorMetric metric, ReadOnlySpan<float> a, ReadOnlySpan<float> b) => metric switch
    {
        VectorMetric.L2 => -TensorPrimitives.Distance(a, b),
        _ => TensorPrimitives.Dot(a, b),
    };

    /// <summary>Copies the vector into <paramref name="destination"/>, normalising it for cosine; checks shape and finiteness.</summary>
    public static void Prepare(VectorMetric metric, int dimensions, ReadOnlySpan<float> vector, Span<float> destination, string what)
    {
        if (vector.Length != dimensions)
            throw new KnowledgeException($"{what}: found a vector of {vector.Length} dimensions, expected {dimensions}.");
        for (int i = 0; i < vector.Length; i++)
        {
            if (!float.IsFinite(vector[i]))
                throw new KnowledgeException($"{what}: component {i} is {vector[i]}, expected a finite number.");
        }
        vector.CopyTo(destination);
        if (metric == VectorMetric.Cosine)
        {
            float norm = TensorPrimitives.Norm(destination);
            // A zero vector has no direction; it stays zero and scores 0 against everything.
            if (norm > 0f) TensorPrimitives.Divide(destination, norm, destination);
        }
    }
}
