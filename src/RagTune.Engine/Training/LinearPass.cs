// A Linear's forward and backward during training, with its LoRA adapter if one is attached: y = x·Wᵀ + b +
// scale·B·A·dropout(x). Saves what the adapter's backward needs (A·dropout(x) and the mask) per Linear; frozen base weights
// get no gradient and may be float32, bf16 or q8 (read in place). Shared by the decoder and encoder training graphs.
using System.Numerics.Tensors;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

internal sealed class LinearPass(ParameterSet parameters)
{
    private readonly Dictionary<Linear, LoraSaved> _lora = new(ReferenceEqualityComparer.Instance);

    // Scratch reused by every call ([T, Out], [T, Out], [T, r], [T, In]): fresh arrays per projection would leave about
    // a gigabyte of large-object garbage per step of a 0.5B model, which the GC lets pile up.
    private float[] _delta = [], _scaledDy = [], _du = [], _dxMasked = [];

    public ParameterSet Parameters { get; } = parameters;
    public bool Training { get; set; } = true;
    public TrainingRandom DropoutRandom { get; set; } = new(0);

    /// <summary>y [T, Out] = x·Wᵀ + b, plus scale·B·A·dropout(x) when the Linear carries an adapter (saving what its backward needs).</summary>
    public void Forward(Linear lin, ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        lin.Weight.Multiply(x, lin.Bias, y, rows, alwaysGemm: true);
        if (lin.Adapter is not { } ad) return;
        var saved = Saved(lin, rows);
        ReadOnlySpan<float> xin = x[..(rows * lin.InFeatures)];
        saved.Masked = Training && ad.Dropout > 0;
        if (saved.Masked)
        {
            float keep = 1f / (1f - ad.Dropout);
            for (int i = 0; i < rows * lin.InFeatures; i++)
            {
                saved.Mask[i] = DropoutRandom.NextSingle() < ad.Dropout ? 0f : keep;
                saved.Input[i] = x[i] * saved.Mask[i];
            }
            xin = saved.Input.AsSpan(0, rows * lin.InFeatures);
        }
        var u = saved.U.AsSpan(0, rows * ad.Rank);
        TrainingMath.LinearForward(xin, ad.A, default, u, rows, ad.InFeatures, ad.Rank);
        var delta = Scratch(ref _delta, rows * ad.OutFeatures);
        TrainingMath.LinearForward(u, ad.B, default, delta, rows, ad.Rank, ad.OutFeatures);
        TensorPrimitives.MultiplyAdd(delta, ad.Scale, y[..delta.Length], y[..delta.Length]);
    }

    /// <summary>dx [T, In] += dy·W (and through the adapter); dW, db, dA, dB accumulate when they are trainable.</summary>
    public void Backward(Linear lin, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        int inDim = lin.InFeatures, outDim = lin.OutFeatures;
        var dW = Parameters.Grad(lin.Weight);
        if (!dW.IsEmpty)
            TrainingMath.BackwardWeight(dy, x, dW, lin.Bias is null ? default : Parameters.Grad(lin.Bias), rows, inDim, outDim);
        if (lin.Adapter is { } ad)
        {
            var saved = _lora[lin];
            int r = ad.Rank;
            var sdy = Scratch(ref _scaledDy, rows * outDim);
            TensorPrimitives.Multiply(dy[..sdy.Length], ad.Scale, sdy);
            var dA = Parameters.Grad(ad.A);
            var dB = Parameters.Grad(ad.B);
            if (!dB.IsEmpty)
                TrainingMath.BackwardWeight(sdy, saved.U.AsSpan(0, rows * r), dB, default, rows, r, outDim);
            var du = Scratch(ref _du, rows * r);
            du.Clear();
            TrainingMath.BackwardInput(sdy, ad.B, du, rows, r, outDim);
            ReadOnlySpan<float> xin = saved.Masked ? saved.Input.AsSpan(0, rows * inDim) : x;
            if (!dA.IsEmpty)
                TrainingMath.BackwardWeight(du, xin, dA, default, rows, inDim, r);
            if (saved.Masked)
            {
                var dxin = Scratch(ref _dxMasked, rows * inDim);
                dxin.Clear();
                TrainingMath.BackwardInput(du, ad.A, dxin, rows, inDim, r);
                TensorPrimitives.MultiplyAdd(dxin, saved.Mask.AsSpan(0, dxin.Length), dx[..dxin.Length], dx[..dxin.Length]);
            }
            else
                TrainingMath.BackwardInput(du, ad.A, dx, rows, inDim, r);
        }
        lin.Weight.MultiplyTransposedAccumulate(dy, dx, rows);
    }

    private static Span<float> Scratch(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    private LoraSaved Saved(Linear lin, int rows)
    {
        var ad = lin.Adapter!;
        // The dropout input and mask [T, In] are only kept when dropout is on: without it they would double LoRA's memory.
        int masked = Training && ad.Dropout > 0 ? rows * lin.InFeatures : 0;
        if (!_lora.TryGetValue(lin, out var s) || s.U.Length < rows * ad.Rank || s.Mask.Length < masked)
            _lora[lin] = s = new LoraSaved(new float[rows * ad.Rank], new float[masked], new float[masked]);
        return s;
    }

    private sealed class LoraSaved(float[] u, float[] input, float[] mask)
    {
        public float[] U { get; } = u;          // [T, r] = A·dropout(x)
        public float[] Input { get; } = input;  // [T, In] dropout(x), when masked
        public float[] Mask { get; } = mask;    // [T, In] 0 or 1/(1−p)
        public bool Masked { get; set; }
    }
}
