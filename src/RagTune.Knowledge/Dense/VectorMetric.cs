// Similarity metrics of the vector indexes. Every index reports a similarity: higher is better.
namespace RagTune.Knowledge.Dense;

public enum VectorMetric
{
    /// <summary>Cosine similarity in [-1, 1]; vectors are normalised at insert and at query time, then compared by dot product.</summary>
    Cosine = 0,

    /// <summary>Raw inner product (for models trained with dot-product scores).</summary>
    Dot = 1,

    /// <summary>Negative Euclidean distance, −‖a − b‖, so that higher is still better (0 is an exact match).</summary>
    L2 = 2,
}
