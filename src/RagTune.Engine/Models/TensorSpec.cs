// One tensor a checkpoint must hold: its Hugging Face name and shape.
namespace RagTune.Engine.Models;

public sealed record TensorSpec(string Name, long[] Shape)
{
    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
