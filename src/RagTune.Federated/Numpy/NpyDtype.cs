// The element types a federated tensor may have on the wire: numpy's little-endian float32 ('<f4') and float16 ('<f2'),
// and float64 ('<f8'), which Flower's FedAvg returns when NumPy 1.x's value-based casting widens the weighted average.
namespace RagTune.Federated.Numpy;

public enum NpyDtype
{
    /// <summary>'&lt;f4'.</summary>
    Float32,

    /// <summary>'&lt;f2' (IEEE half, round-to-nearest-even from float32 as numpy's astype does).</summary>
    Float16,

    /// <summary>'&lt;f8': Flower 1.x's aggregate() multiplies float32 tensors by Python-int example counts, and NumPy 1.x
    /// widens the result to float64 once the counts need more than 16 bits (65,536 examples in a round). Read narrowed to
    /// float32; never what RagTune sends.</summary>
    Float64,
}
