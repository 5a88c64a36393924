// Checks a checkpoint against the architecture's expected tensor list, then reads tensors as float32.
// Weights are held as float32 in memory for now: F16/BF16 are converted once here, at load (bf16→f32 is exact);
// the next issue keeps bf16/int8 weights packed and converts inside the kernels instead.
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

internal sealed class Weights
{
    private static readonly DType[] Supported = [DType.F32, DType.F16, DType.BF16];
    private readonly Checkpoint _checkpoint;
    private readonly string _prefix;

    private Weights(Checkpoint checkpoint, string prefix)
    {
        _checkpoint = checkpoint;
        _prefix = prefix;
    }

    /// <summary>Validates every expected tensor (present, shape, dtype) before any is read, so a bad checkpoint fails
    /// at once with the first offending tensor named. <paramref name="prefix"/> is prepended to every name ("bert.").</summary>
    public static Weights Validate(Checkpoint checkpoint, IReadOnlyList<TensorSpec> expected, string prefix = "")
    {
        foreach (var spec in expected)
        {
            string name = prefix + spec.Name;
            if (!checkpoint.TryGetInfo(name, out var info))
                throw new EngineException($"{checkpoint.Directory}: tensor '{name}' is missing (expected shape [{string.Join(", ", spec.Shape)}])");
            if (!info.Shape.AsSpan().SequenceEqual(spec.Shape))
                throw new EngineException(
                    $"{info.File}: tensor '{name}' has shape [{string.Join(", ", info.Shape)}], expected [{string.Join(", ", spec.Shape)}]");
            if (Array.IndexOf(Supported, info.DType) < 0)
                throw new EngineException(
                    $"{info.File}: tensor '{name}' has dtype {DTypes.Name(info.DType)}, expected one of {string.Join(", ", Supported.Select(DTypes.Name))}");
        }
        return new Weights(checkpoint, prefix);
    }

    public float[] Read(string name) => _checkpoint.ReadFloat32(_prefix + name);

    public float[]? ReadOptional(string name) => _checkpoint.Contains(_prefix + name) ? Read(name) : null;

    public Linear Linear(string module, bool bias)
    {
        var w = _checkpoint.Info(_prefix + module + ".weight");
        return new Linear(module, (int)w.Shape[1], (int)w.Shape[0], Read(module + ".weight"), bias ? Read(module + ".bias") : null);
    }
}
