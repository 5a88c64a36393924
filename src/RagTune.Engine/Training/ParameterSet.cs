// The trainable tensors of a run, each with its gradient buffer, looked up by reference: a tensor that is not in the set
// is frozen (its Grad is empty, and the backward skips its weight product). Tied tensors (embed_tokens = lm_head) are one entry.
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

public sealed class ParameterSet
{
    private readonly Dictionary<float[], int> _index = new(ReferenceEqualityComparer.Instance);
    private readonly List<TrainableTensor> _tensors = [];

    public IReadOnlyList<TrainableTensor> Tensors => _tensors;

    public long Count => _tensors.Sum(t => t.Values.LongLength);

    public void Add(string name, float[] values)
    {
        if (_index.ContainsKey(values)) return;
        _index[values] = _tensors.Count;
        _tensors.Add(new TrainableTensor(name, values, new float[values.Length]));
    }

    /// <summary>The gradient buffer of <paramref name="values"/>, or empty when it is frozen.</summary>
    public Span<float> Grad(float[] values) => _index.TryGetValue(values, out int i) ? _tensors[i].Grad : default;

    /// <summary>The gradient buffer of a weight matrix, or empty when it is frozen (a weight read in place from the
    /// checkpoint has no private copy, so it cannot be in the set).</summary>
    public Span<float> Grad(WeightMatrix weight) => weight.OwnedFloat32 is { } values ? Grad(values) : default;

    public void ZeroGrad()
    {
        foreach (var t in _tensors) Array.Clear(t.Grad);
    }

    /// <summary>Copies of every tensor's values, in the set's order (the anchor of <see cref="AddProximalGradient"/>).</summary>
    public float[][] SnapshotValues() => [.. _tensors.Select(t => t.Values.ToArray())];

    /// <summary>FedProx's proximal term: adds the gradient of μ/2·‖w − w₀‖², μ·(w − w₀), to every tensor's gradient;
    /// <paramref name="anchor"/> holds w₀ in the set's order (<see cref="SnapshotValues"/>).</summary>
    public void AddProximalGradient(IReadOnlyList<float[]> anchor, float mu)
    {
        ArgumentNullException.ThrowIfNull(anchor);
        if (anchor.Count != _tensors.Count) throw new ArgumentException($"anchor has {anchor.Count} tensors, the set {_tensors.Count}", nameof(anchor));
        for (int i = 0; i < _tensors.Count; i++)
        {
            var (w, g, w0) = (_tensors[i].Values, _tensors[i].Grad, anchor[i]);
            if (w0.Length != w.Length) throw new ArgumentException($"anchor tensor {i} has {w0.Length} values, {_tensors[i].Name} {w.Length}", nameof(anchor));
            for (int j = 0; j < w.Length; j++) g[j] += mu * (w[j] - w0[j]);
        }
    }

    /// <summary>The A and B of every adapter in <paramref name="adapters"/>, in its order (A then B per module).</summary>
    public static ParameterSet ForAdapters(AdapterSet adapters)
    {
        var set = new ParameterSet();
        foreach (var (module, ad) in adapters.Modules)
        {
            set.Add(module + ".lora_A.weight", ad.A);
            set.Add(module + ".lora_B.weight", ad.B);
        }
        return set;
    }

    /// <summary>Every weight of the model (full fine-tuning), named as in the checkpoint.</summary>
    public static ParameterSet ForAllWeights(DecoderModel model)
    {
        var set = new ParameterSet();
        var n = model.Config.Names;
        set.Add(n.Backbone + n.EmbedTokens + ".weight", model.EmbedTokens.WritableFloat32());
        if (model.PositionEmbeddings is { } wpe) set.Add(n.Backbone + n.PositionEmbeddings + ".weight", wpe.WritableFloat32());
        for (int l = 0; l < model.Layers.Count; l++)
        {
            var layer = model.Layers[l];
            string p = $"{n.Backbone}{n.Layers}.{l}.";
            set.Add(p + n.InputNorm + ".weight", layer.InputLayerNorm);
            if (layer.InputNormBias is { } b1) set.Add(p + n.InputNorm + ".bias", b1);
            set.Add(p + n.PostNorm + ".weight", layer.PostAttentionLayerNorm);
            if (layer.PostNormBias is { } b2) set.Add(p + n.PostNorm + ".bias", b2);
            if (layer.QNorm is not null) set.Add(p + n.QNorm + ".weight", layer.QNorm);
            if (layer.KNorm is not null) set.Add(p + n.KNorm + ".weight", layer.KNorm);
            foreach (var lin in layer.Linears)
            {
                set.Add(lin.Name + ".weight", lin.Weight.WritableFloat32());
                if (lin.Bias is not null) set.Add(lin.Name + ".bias", lin.Bias);
            }
        }
        set.Add(n.Backbone + n.FinalNorm + ".weight", model.Norm);
        if (model.NormBias is { } bf) set.Add(n.Backbone + n.FinalNorm + ".bias", bf);
        set.Add(n.LmHead + ".weight", model.LmHead.Weight.WritableFloat32());
        return set;
    }

    /// <summary>Every projection of every layer (q, k, v or the packed qkv, o, gate, up, down), where LoRA adapters attach.</summary>
    public static IEnumerable<Linear> DecoderLinears(DecoderModel model) => model.LayerLinears;
}

/// <summary>One trainable tensor: its checkpoint name, values and gradient (same length).</summary>
public sealed record TrainableTensor(string Name, float[] Values, float[] Grad);
