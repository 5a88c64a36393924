// Checks a checkpoint against the architecture's expected tensor list, then reads tensors: vectors (norms, biases)
// as float32, matrices in the WeightFormat asked for — F32 and BF16 data already in that format is used in place in the
// memory-mapped file (no copy), other conversions (to BF16 or Q8, from F16) read the mapped data once.
using System.Runtime.InteropServices;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

internal sealed class Weights
{
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
            spec.Check(info, name);
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
        bool inPlace = info.DType switch
        {
            // Q8 needs rows that are whole blocks; other matrices stay float32, so they can stay in the file too.
            DType.F32 => WeightMatrix.StaysFloat32(_format, cols),
            DType.BF16 => _format is WeightFormat.Checkpoint or WeightFormat.BF16,
            _ => false,
        };
        var file = _checkpoint.FileOf(_prefix + name);
        if (inPlace)
            return WeightMatrix.FromMapped(file, info);
        // F32 → BF16/Q8 converts straight from the mapped bytes, without an intermediate float32 array; then the source
        // pages are dropped from the resident set, so loading never holds both copies of the model.
        var matrix = info.DType == DType.F32 && info.ByteLength <= int.MaxValue
            ? WeightMatrix.Convert(MemoryMarshal.Cast<byte, float>(file.GetBytes(info.Name)), rows, cols, _format)
            : WeightMatrix.Convert(Read(name), rows, cols, _format);
        file.ReleasePages(info);
        return matrix;
    }

    /// <summary>A Conv1D projection (GPT-2), whose weight is stored [in, out] for y = x·W + b: transposed once into the
    /// [out, in] of every other projection, then converted to the model's weight format.</summary>
    public Linear TransposedLinear(string module, bool bias)
    {
        var info = _checkpoint.Info(_prefix + module + ".weight");
        int inFeatures = (int)info.Shape[0], outFeatures = (int)info.Shape[1];
        var weight = RowMajor.Transpose(Read(module + ".weight"), inFeatures, outFeatures);   // [in, out] → [out, in]
        var matrix = WeightMatrix.Convert(weight, outFeatures, inFeatures, _format);
        return new Linear(module, inFeatures, outFeatures, matrix, bias ? Read(module + ".bias") : null);
    }

    public Linear Linear(string module, bool bias)
    {
        var w = Matrix(module + ".weight");
        return new Linear(module, w.Cols, w.Rows, w, bias ? Read(module + ".bias") : null);
    }
}
