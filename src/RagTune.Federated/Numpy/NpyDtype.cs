// The element types a federated tensor may have on the wire: numpy's little-endian float32 ('<f4') and float16 ('<f2').
namespace RagTune.Federated.Numpy;

public enum NpyDtype
{
    /// <summary>'&lt;f4'.</summary>
    Float32,

    /// <summary>'&lt;f2' (IEEE half, round-to-nearest-even from float32 as numpy's astype does).</summary>
    Float16,
}
