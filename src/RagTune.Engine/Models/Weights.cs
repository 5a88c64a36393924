// Checks a checkpoint against the architecture's expected tensor list, then reads tensors: vectors (norms, biases)
// as float32, matrices in the WeightFormat asked for — BF16 data is copied as 2-byte values (no float32 copy),
// Q8 is quantised here, once.
using System.Runtime.InteropServices;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

internal sealed class Weights
{
    private static readonly DType[] Supported = [DType.F32, DType.F16, DType.BF16];
    private readonly Checkpoint _checkpoint;
    private readonly string _prefix;
    private readonly WeightFormat _format;

    private Weights(Checkpoint checkpoint, string prefix, WeightFormat format)
    {
        _checkpoint = checkpoint;
        _prefix = prefix;
        _format = format;
    }

    /// <summary>Validates every expected tensor (present, shape, dtype) before any is read, so a bad checkpoint fails
    /// at once with the first offending tensor named. <paramref name="prefix"/> is prepended to every name ("bert.").</summary>
    public static Weights Validate(Checkpoint checkpoint, IReadOnlyList<TensorSpec> expected, string prefix = "",
        WeightFormat format = WeightFormat.Checkpoint)
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
        return new Weights(checkpoint, prefix, format);
    }

    public float[] Read(string name) => _checkpoint.ReadFloat32(_prefix + name);

    public float[]? ReadOptional(string name) => _checkpoint.Contains(_prefix + name) ? Read(name) : null;

    /// <summary>A 2-D tensor in the model's weight format.</summary>
    public WeightMatrix Matrix(string name)
    {
        var info = _checkpoint.Info(_prefix + name);
        int rows = (int)info.Shape[0], cols = (int)info.Shape[1];
        bool keepBF16 = info.DType == DType.BF16 && _format is WeightFormat.Checkpoint or WeightFormat.BF16;
        if (keepBF16)
            return WeightMatrix.FromBF16(MemoryMarshal.Cast<byte, ushort>(_checkpoint.GetBytes(_prefix + name)).ToArray(), rows, cols);
        return WeightMatrix.Convert(Read(name), rows, cols, _format);
    }

    public Linear Linear(string module, bool bias)
    {
        var w = Matrix(module + ".weight");
        return new Linear(module, w.Cols, w.Rows, w, bias ? Read(module + ".bias") : null);
    }
}
