// Where one tensor lives: its dtype and shape, and its absolute byte range in a safetensors file.
namespace RagTune.Engine.Tensors;

public sealed record TensorInfo(string Name, DType DType, long[] Shape, long DataOffset, long ByteLength, string File)
{
    /// <summary>Product of the shape (1 for a scalar, 0 when any dimension is 0).</summary>
    public long ElementCount => DTypes.ElementCount(Shape);

    public override string ToString() => $"{Name} {DTypes.Name(DType)}[{string.Join(", ", Shape)}]";
}
