// One tensor a checkpoint must hold: its Hugging Face name and shape, and the check of a found tensor against it.
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

public sealed record TensorSpec(string Name, long[] Shape)
{
    /// <summary>The dtypes a model reads (widened to float32 or kept as is).</summary>
    public static IReadOnlyList<DType> SupportedDTypes { get; } = [DType.F32, DType.F16, DType.BF16];

    /// <summary>Throws the error naming the file, the tensor, what it holds and what was expected when
    /// <paramref name="found"/> (this spec's tensor, stored under <paramref name="name"/>) has another shape or a dtype
    /// no model reads. The model loaders and `ragtune inspect` give this same message.</summary>
    public void Check(TensorInfo found, string name)
    {
        if (!found.Shape.AsSpan().SequenceEqual(Shape))
            throw new EngineException($"{found.File}: tensor '{name}' has shape [{string.Join(", ", found.Shape)}], expected [{string.Join(", ", Shape)}]");
        if (!SupportedDTypes.Contains(found.DType))
            throw new EngineException(
                $"{found.File}: tensor '{name}' has dtype {DTypes.Name(found.DType)}, expected one of {string.Join(", ", SupportedDTypes.Select(DTypes.Name))}");
    }

    public override string ToString() => $"{Name} [{string.Join(", ", Shape)}]";
}
