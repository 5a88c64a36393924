// A Linear's forward and backward during training, with the run's LoRA adapter for it if the AdapterSet has one:
// y = x·Wᵀ + b + scale·B·A·dropout(x). Saves what the adapter's backward needs (A·dropout(x) and a byte mask) per Linear; frozen base weights
// get no gradient and may be float32, bf16 or q8 (read in place). Shared by the decoder and encoder training graphs.
using System.Numerics.Tensors;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

internal sealed class LinearPass(ParameterSet parameters, AdapterSet? adapters)
{
    private readonly Dictionary<Linear, LoraSaved> _lora = new(ReferenceEqualityComparer.Instance);

    // Scratch reused by every call ([T, Out], [T, Out], [T, r], [T, In], [T, In]): fresh arrays per projection would leave
    // about a gigabyte of large-object garbage per step of a 0.5B model, which the GC lets pile up.
    private float[] _delta = [], _scaledDy = [], _du = [], _dxMasked = [], _dropped = [];

    public ParameterSet Parameters { get; } = parameters;
    public AdapterSet? Adapters { get; } = adapters;
    public bool Training { get; set; } = true;
    public TrainingRandom DropoutRandom { get; set; } = new(0);

    /// <summary>y [T, Out] = x·Wᵀ + b, plus scale·B·A·dropout(x) when the run has an adapter on the Linear (saving what its
    /// backward needs).</summary>
    public void Forward(Linear lin, ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        long t0 = StepProfile.Begin();
        lin.Weight.Multiply(x, lin.Bias, y, rows, alwaysGemm: true);
        StepProfile.End("linear x·Wᵀ", t0);
        if (Adapters?.For(lin) is not { } ad) return;
        t0 = StepProfile.Begin();
        var saved = Saved(lin, ad, rows);
        ReadOnlySpan<float> xin = x[..(rows * lin.InFeatures)];
        saved.Masked = Training && ad.Dropout > 0;
        if (saved.Masked)
        {
            for (int i = 0; i < rows * lin.InFeatures; i++)
                saved.Mask[i] = DropoutRandom.NextSingle() < ad.Dropout ? (byte)0 : (byte)1;
            xin = Dropped(ad, x, saved.Mask, rows * lin.InFeatures);
        }
        var u = saved.U.AsSpan(0, rows * ad.Rank);
        TrainingMath.LinearForward(xin, ad.A, default, u, rows, ad.InFeatures, ad.Rank);
        var delta = Scratch(ref _delta, rows * ad.OutFeatures);
        TrainingMath.LinearForward(u, ad.B, default, delta, rows, ad.Rank, ad.OutFeatures);
        TensorPrimitives.MultiplyAdd(delta, ad.Scale, y[..delta.Length], y[..delta.Length]);
        StepProfile.End("LoRA forward", t0);
    }

    /// <summary>dx [T, In] += dy·W (and through the adapter); dW, db, dA, dB accumulate when they are trainable.
    /// <paramref name="x"/> must be the input the forward saw.</summary>
    public void Backward(Linear lin, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx, int rows)
    {
        int inDim = lin.InFeatures, outDim = lin.OutFeatures;
        long t0 = StepProfile.Begin();
        var dW = Parameters.Grad(lin.Weight);
        if (!dW.IsEmpty)
        {
            TrainingMath.BackwardWeight(dy, x, dW, lin.Bias is null ? default : Parameters.Grad(lin.Bias), rows, inDim, outDim);
            StepProfile.End("linear dW", t0);
        }
        if (Adapters?.For(lin) is { } ad)
        {
            t0 = StepProfile.Begin();
            var saved = _lora[lin];
            int r = ad.Rank, n = rows * inDim;
            var sdy = Scratch(ref _scaledDy, rows * outDim);
            TensorPrimitives.Multiply(dy[..sdy.Length], ad.Scale, sdy);
            var dA = Parameters.Grad(ad.A);
            var dB = Parameters.Grad(ad.B);
            if (!dB.IsEmpty)
                TrainingMath.BackwardWeight(sdy, saved.U.AsSpan(0, rows * r), dB, default, rows, r, outDim);
            var du = Scratch(ref _du, rows * r);
            du.Clear();
            TrainingMath.BackwardInput(sdy, ad.B, du, rows, r, outDim);
            ReadOnlySpan<float> xin = saved.Masked ? Dropped(ad, x, saved.Mask, n) : x;
            if (!dA.IsEmpty)
                TrainingMath.BackwardWeight(du, xin, dA, default, rows, inDim, r);
            if (saved.Masked)
            {
                // dx += (du·A) ⊙ mask/(1−p): the dropout's backward is the same scaling by the same mask.
                var dxin = Scratch(ref _dxMasked, n);
                dxin.Clear();
                TrainingMath.BackwardInput(du, ad.A, dxin, rows, inDim, r);
                float keep = 1f / (1f - ad.Dropout);
                for (int i = 0; i < n; i++)
                    if (saved.Mask[i] != 0) dx[i] += dxin[i] * keep;
            }
            else
                TrainingMath.BackwardInput(du, ad.A, dx, rows, inDim, r);
            StepProfile.End("LoRA backward", t0);
        }
        t0 = StepProfile.Begin();
        lin.Weight.MultiplyTransposedAccumulate(dy, dx, rows);
        StepProfile.End("linear dY·W", t0);
    }

    /// <summary>dropout(x) = x · mask/(1−p) into scratch, from the saved byte mask (the backward remakes it rather than
    /// keep a float copy [T, In] per projection).</summary>
    private ReadOnlySpan<float> Dropped(LoraAdapter ad, ReadOnlySpan<float> x, byte[] mask, int n)
    {
        var xin = Scratch(ref _dropped, n);
        float keep = 1f / (1f - ad.Dropout);
        for (int i = 0; i < n; i++)
            xin[i] = mask[i] != 0 ? x[i] * keep : 0f;
        return xin;
    }

    private static Span<float> Scratch(ref float[] buffer, int length)
    {
        if (buffer.Length < length) buffer = new float[length];
        return buffer.AsSpan(0, length);
    }

    private LoraSaved Saved(Linear lin, LoraAdapter ad, int rows)
    {
        // The dropout mask [T, In] is only kept when dropout is on, one byte per value.
        int masked = Training && ad.Dropout > 0 ? rows * lin.InFeatures : 0;
        if (!_lora.TryGetValue(lin, out var s) || s.U.Length < rows * ad.Rank || s.Mask.Length < masked)
            _lora[lin] = s = new LoraSaved(new float[rows * ad.Rank], new byte[masked]);
        return s;
    }

    private sealed class LoraSaved(float[] u, byte[] mask)
    {
        public float[] U { get; } = u;          // [T, r] = A·dropout(x)
        public byte[] Mask { get; } = mask;     // [T, In] 1 kept, 0 dropped
        public bool Masked { get; set; }
    }
}
