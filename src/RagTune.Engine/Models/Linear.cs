// The one choke point every projection goes through (y = x·Wᵀ + b); adapters (LoRA) attach here, so model code never
// mentions them. Name is the module path in the checkpoint (e.g. model.layers.0.self_attn.q_proj), which is what
// PEFT adapter keys are built from.
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public sealed class Linear
{
    public string Name { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }

    /// <summary>[OutFeatures, InFeatures], row-major as in the checkpoint.</summary>
    public float[] Weight { get; }

    /// <summary>[OutFeatures], or null.</summary>
    public float[]? Bias { get; }

    public Linear(string name, int inFeatures, int outFeatures, float[] weight, float[]? bias)
    {
        if (weight.Length != (long)inFeatures * outFeatures)
            throw new ArgumentException($"{name}: weight has {weight.Length} values, expected {outFeatures}x{inFeatures}");
        if (bias is not null && bias.Length != outFeatures)
            throw new ArgumentException($"{name}: bias has {bias.Length} values, expected {outFeatures}");
        Name = name;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = weight;
        Bias = bias;
    }

    /// <summary>A LoRA adapter applied on top of the frozen weight without merging, or null.</summary>
    public LoraAdapter? Adapter { get; set; }

    /// <summary>x [rows, In] → y [rows, Out], on the shared worker pool. A few rows (decoding) stream the weight rows
    /// through the matrix-vector kernel; more rows (prefill) go through the cache-blocked GEMM.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        if (rows < GemmMinRows)
            MatMul.ForwardParallel(x, Weight, Bias, y, rows, InFeatures, OutFeatures);
        else
            Gemm.MultiplyTransB(x, InFeatures, Weight, InFeatures, y, OutFeatures, rows, OutFeatures, InFeatures, bias: Bias);
        Adapter?.AddTo(x, y, rows);
    }

    // Below this many rows the matrix-vector kernel (bandwidth-bound, no packing) is faster than the 6-row GEMM tiles.
    private const int GemmMinRows = 4;

    public long ParameterCount => Weight.LongLength + (Bias?.LongLength ?? 0);
}
