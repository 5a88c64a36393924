// The one choke point every projection goes through (y = x·Wᵀ + b + the caller's LoRA adapter for this module), so model
// code never mentions LoRA. The adapters come with each call (a session's AdapterSet), never from the shared Linear. Name is
// the module path in the checkpoint (e.g. model.layers.0.self_attn.q_proj), which is what PEFT adapter keys are built from.
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public sealed class Linear
{
    public string Name { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>[OutFeatures, InFeatures], row-major as in the checkpoint, in the format chosen at load.</summary>
    public WeightMatrix Weight { get; }

    /// <summary>[OutFeatures], or null.</summary>
    public float[]? Bias { get; }

    public Linear(string name, int inFeatures, int outFeatures, float[] weight, float[]? bias)
        : this(name, inFeatures, outFeatures, CheckedFloat32(name, weight, inFeatures, outFeatures), bias)
    {
    }

    public Linear(string name, int inFeatures, int outFeatures, WeightMatrix weight, float[]? bias)
    {
        if (weight.Rows != outFeatures || weight.Cols != inFeatures)
            throw new ArgumentException($"{name}: weight is {weight.Rows}x{weight.Cols}, expected {outFeatures}x{inFeatures}");
        if (bias is not null && bias.Length != outFeatures)
            throw new ArgumentException($"{name}: bias has {bias.Length} values, expected {outFeatures}");
        Name = name;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = weight;
        Bias = bias;
    }

    /// <summary>x [rows, In] → y [rows, Out], on the shared worker pool: a few rows (decoding) stream the weights through
    /// a matrix-vector kernel, more rows (prefill) go through the cache-blocked GEMM; then the low-rank term of the adapter
    /// that <paramref name="adapters"/> holds for this module, if any (applied unmerged: the weight is never changed).</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int rows, AdapterSet? adapters = null)
    {
        Weight.Multiply(x, Bias, y, rows);
        adapters?.For(this)?.AddTo(x, y, rows);
    }

    private static WeightMatrix CheckedFloat32(string name, float[] weight, int inFeatures, int outFeatures)
    {
        if (weight.Length != (long)inFeatures * outFeatures)
            throw new ArgumentException($"{name}: weight has {weight.Length} values, expected {outFeatures}x{inFeatures}");
        return WeightMatrix.FromFloat32(weight, outFeatures, inFeatures);
    }

    public long ParameterCount => Weight.ElementCount + (Bias?.LongLength ?? 0);
}
