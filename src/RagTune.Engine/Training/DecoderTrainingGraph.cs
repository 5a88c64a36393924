// Forward with saved activations and the explicit backward of a Llama-family decoder (LLaMA, Qwen2, Qwen3), one sequence
// at a time: the same kernel calls as DecoderModel's forward, then their backward pairs in reverse (llm.c's layout).
// Gradients flow through the frozen base into LoRA adapters attached to the Linears, or into every weight (full fine-tune).
// Letters: T tokens, C hidden, H query heads, KV key/value heads, D head_dim, I intermediate, V vocab, r LoRA rank.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;

namespace RagTune.Engine.Training;

public sealed class DecoderTrainingGraph
{
    private readonly DecoderModel _model;
    private readonly ParameterSet _parameters;
    private readonly LinearPass _linear;
    private LayerActivations[] _acts = [];
    private int _capacity;
    private float[] _cos = [], _sin = [];
    private float[] _xFinal = [], _rstdFinal = [], _hFinal = [], _logits = [];

    public DecoderModel Model => _model;
    public ParameterSet Parameters => _parameters;

    /// <summary>Applies dropout inside LoRA adapters (training mode); off for evaluation.</summary>
    public bool Training { get => _linear.Training; set => _linear.Training = value; }

    /// <summary>Source of the dropout masks; part of the resumable state.</summary>
    public TrainingRandom DropoutRandom { get => _linear.DropoutRandom; set => _linear.DropoutRandom = value; }

    public DecoderTrainingGraph(DecoderModel model, ParameterSet parameters)
    {
        _model = model;
        _parameters = parameters;
        _linear = new LinearPass(parameters);
    }

    /// <summary>The token-mean loss of a micro-batch; when <paramref name="backward"/>, its gradients, divided further by
    /// <paramref name="accumulationSteps"/> so micro-batches accumulated into one optimizer step average.</summary>
    public double Batch(IReadOnlyList<TokenizedExample> batch, bool backward, int accumulationSteps = 1)
    {
        int n = batch.Sum(e => e.TargetCount);
        if (n == 0) return 0;
        double sum = 0;
        foreach (var e in batch)
            sum += Step(e.Ids, e.Targets(), 1f / (n * accumulationSteps), backward);
        return sum / n;
    }

    /// <summary>One sequence: ids [T], targets [T] (the next token per position, −1 where no loss is taken). Returns the
    /// summed loss over unmasked targets; when <paramref name="backward"/>, accumulates its gradients scaled by
    /// <paramref name="gradScale"/> (1 / the number of targets in the batch for a token-mean loss).</summary>
    public double Step(ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, float gradScale, bool backward)
    {
        var cfg = _model.Config;
        int T = ids.Length, C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim;
        int I = cfg.IntermediateSize, V = cfg.VocabSize;
        if (targets.Length != T) throw new ArgumentException($"{T} ids but {targets.Length} targets");
        float eps = (float)cfg.RmsNormEps;
        Ensure(T);

        // ---------------- forward ----------------
        var x = _acts.Length > 0 ? _acts[0].XIn.AsSpan(0, T * C) : _xFinal.AsSpan(0, T * C);
        for (int t = 0; t < T; t++)
        {
            if ((uint)ids[t] >= (uint)V)
                throw new EngineException($"token id {ids[t]} is outside the vocabulary of {V} ({cfg.Path})");
            _model.EmbedTokens.Float32.AsSpan(ids[t] * C, C).CopyTo(x.Slice(t * C, C));
        }
        for (int l = 0; l < _model.Layers.Count; l++)
        {
            var layer = _model.Layers[l];
            var a = _acts[l];
            var xIn = a.XIn.AsSpan(0, T * C);
            var h1 = a.H1.AsSpan(0, T * C);
            DecoderPasses.RmsNormForward(xIn, layer.InputLayerNorm, eps, h1, a.Rstd1);
            _linear.Forward(layer.QProj, h1, a.Q, T);
            _linear.Forward(layer.KProj, h1, a.K, T);
            _linear.Forward(layer.VProj, h1, a.V, T);
            if (layer.QNorm is not null)
            {
                a.Q.AsSpan(0, T * H * D).CopyTo(a.QPre);
                a.K.AsSpan(0, T * KV * D).CopyTo(a.KPre);
                DecoderPasses.RmsNormForward(a.QPre.AsSpan(0, T * H * D), layer.QNorm, eps, a.Q, a.QRstd);
                DecoderPasses.RmsNormForward(a.KPre.AsSpan(0, T * KV * D), layer.KNorm!, eps, a.K, a.KRstd);
            }
            Rope.Apply(a.Q, T, H, D, 0, _cos, _sin);
            Rope.Apply(a.K, T, KV, D, 0, _cos, _sin);
            DecoderPasses.AttentionForward(a.Q, a.K, a.V, a.Att, a.Probs, T, H, KV, D);
            var xMid = a.XMid.AsSpan(0, T * C);
            _linear.Forward(layer.OProj, a.Att.AsSpan(0, T * H * D), xMid, T);
            TensorPrimitives.Add(xMid, xIn, xMid);

            var h2 = a.H2.AsSpan(0, T * C);
            DecoderPasses.RmsNormForward(xMid, layer.PostAttentionLayerNorm, eps, h2, a.Rstd2);
            _linear.Forward(layer.GateProj, h2, a.Gate, T);
            _linear.Forward(layer.UpProj, h2, a.Up, T);
            DecoderPasses.SwiGluForward(a.Gate.AsSpan(0, T * I), a.Up.AsSpan(0, T * I), a.Act);
            var xOut = l + 1 < _model.Layers.Count ? _acts[l + 1].XIn.AsSpan(0, T * C) : _xFinal.AsSpan(0, T * C);
            _linear.Forward(layer.DownProj, a.Act.AsSpan(0, T * I), xOut, T);
            TensorPrimitives.Add(xOut, xMid, xOut);
        }
        var xf = _xFinal.AsSpan(0, T * C);
        var hf = _hFinal.AsSpan(0, T * C);
        DecoderPasses.RmsNormForward(xf, _model.Norm, eps, hf, _rstdFinal);
        var logits = _logits.AsSpan(0, T * V);
        _linear.Forward(_model.LmHead, hf, logits, T);
        double loss = DecoderPasses.CrossEntropyForwardBackward(logits, targets, V, gradScale);
        if (!backward) return loss;

        // ---------------- backward: the same calls in reverse ----------------
        var dh = new float[T * Math.Max(C, Math.Max(H * D, I))];
        var dx = new float[T * C];                 // [T, C] gradient of the residual stream
        var dhC = dh.AsSpan(0, T * C);
        _linear.Backward(_model.LmHead, hf, logits, dhC, T);
        DecoderPasses.RmsNormBackward(dhC, xf, _model.Norm, _rstdFinal, dx, _parameters.Grad(_model.Norm));
        var dq = new float[T * H * D];
        var dk = new float[T * KV * D];
        var dv = new float[T * KV * D];
        var dg = new float[T * I];
        var du = new float[T * I];
        for (int l = _model.Layers.Count - 1; l >= 0; l--)
        {
            var layer = _model.Layers[l];
            var a = _acts[l];
            // MLP block
            var dAct = dh.AsSpan(0, T * I);
            dAct.Clear();
            _linear.Backward(layer.DownProj, a.Act.AsSpan(0, T * I), dx, dAct, T);
            Array.Clear(dg);
            Array.Clear(du);
            DecoderPasses.SwiGluBackward(dAct, a.Gate.AsSpan(0, T * I), a.Up.AsSpan(0, T * I), dg, du);
            var dh2 = dh.AsSpan(0, T * C);
            dh2.Clear();
            _linear.Backward(layer.GateProj, a.H2.AsSpan(0, T * C), dg, dh2, T);
            _linear.Backward(layer.UpProj, a.H2.AsSpan(0, T * C), du, dh2, T);
            DecoderPasses.RmsNormBackward(dh2, a.XMid.AsSpan(0, T * C), layer.PostAttentionLayerNorm, a.Rstd2, dx,
                _parameters.Grad(layer.PostAttentionLayerNorm));

            // attention block
            var dAtt = dh.AsSpan(0, T * H * D);
            dAtt.Clear();
            _linear.Backward(layer.OProj, a.Att.AsSpan(0, T * H * D), dx, dAtt, T);
            Array.Clear(dq);
            Array.Clear(dk);
            Array.Clear(dv);
            DecoderPasses.AttentionBackward(dAtt, a.Q, a.K, a.V, a.Probs, dq, dk, dv, T, H, KV, D);
            DecoderPasses.RopeBackward(dq, T, H, D, _cos, _sin);
            DecoderPasses.RopeBackward(dk, T, KV, D, _cos, _sin);
            if (layer.QNorm is not null)
            {
                var dqPre = new float[T * H * D];
                var dkPre = new float[T * KV * D];
                DecoderPasses.RmsNormBackward(dq, a.QPre.AsSpan(0, T * H * D), layer.QNorm, a.QRstd, dqPre, _parameters.Grad(layer.QNorm));
                DecoderPasses.RmsNormBackward(dk, a.KPre.AsSpan(0, T * KV * D), layer.KNorm!, a.KRstd, dkPre, _parameters.Grad(layer.KNorm!));
                dqPre.CopyTo(dq, 0);
                dkPre.CopyTo(dk, 0);
            }
            var dh1 = dh.AsSpan(0, T * C);
            dh1.Clear();
            _linear.Backward(layer.QProj, a.H1.AsSpan(0, T * C), dq, dh1, T);
            _linear.Backward(layer.KProj, a.H1.AsSpan(0, T * C), dk, dh1, T);
            _linear.Backward(layer.VProj, a.H1.AsSpan(0, T * C), dv, dh1, T);
            DecoderPasses.RmsNormBackward(dh1, a.XIn.AsSpan(0, T * C), layer.InputLayerNorm, a.Rstd1, dx,
                _parameters.Grad(layer.InputLayerNorm));
        }
        var dEmbed = _parameters.Grad(_model.EmbedTokens.Float32);
        if (!dEmbed.IsEmpty)
            for (int t = 0; t < T; t++)
            {
                var row = dEmbed.Slice(ids[t] * C, C);
                TensorPrimitives.Add(row, dx.AsSpan(t * C, C), row);
            }
        return loss;
    }

    private void Ensure(int T)
    {
        if (T <= _capacity) return;
        var cfg = _model.Config;
        int C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim, I = cfg.IntermediateSize;
        _acts = new LayerActivations[_model.Layers.Count];
        for (int l = 0; l < _acts.Length; l++)
            _acts[l] = new LayerActivations(T, C, H, KV, D, I, _model.Layers[l].QNorm is not null);
        _xFinal = new float[T * C];
        _rstdFinal = new float[T];
        _hFinal = new float[T * C];
        _logits = new float[(long)T * cfg.VocabSize];
        int half = D / 2;
        _cos = new float[T * half];
        _sin = new float[T * half];
        Rope.BuildTables(_model.InverseFrequencies, T, _cos, _sin);
        _capacity = T;
    }

    /// <summary>What one layer's backward needs, sized for T tokens.</summary>
    private sealed class LayerActivations(int T, int C, int H, int KV, int D, int I, bool qkNorm)
    {
        public float[] XIn { get; } = new float[T * C];             // [T, C] residual stream entering the layer
        public float[] Rstd1 { get; } = new float[T];               // [T]
        public float[] H1 { get; } = new float[T * C];              // [T, C] input_layernorm(x)
        public float[] QPre { get; } = qkNorm ? new float[T * H * D] : [];   // [T, H·D] before q_norm
        public float[] KPre { get; } = qkNorm ? new float[T * KV * D] : [];  // [T, KV·D] before k_norm
        public float[] QRstd { get; } = qkNorm ? new float[T * H] : [];
        public float[] KRstd { get; } = qkNorm ? new float[T * KV] : [];
        public float[] Q { get; } = new float[T * H * D];           // [T, H·D] after RoPE
        public float[] K { get; } = new float[T * KV * D];          // [T, KV·D] after RoPE
        public float[] V { get; } = new float[T * KV * D];          // [T, KV·D]
        public float[] Probs { get; } = new float[H * T * T];       // [H, T, T]
        public float[] Att { get; } = new float[T * H * D];         // [T, H·D]
        public float[] XMid { get; } = new float[T * C];            // [T, C] after the attention residual
        public float[] Rstd2 { get; } = new float[T];
        public float[] H2 { get; } = new float[T * C];              // [T, C] post_attention_layernorm(xMid)
        public float[] Gate { get; } = new float[T * I];            // [T, I]
        public float[] Up { get; } = new float[T * I];              // [T, I]
        public float[] Act { get; } = new float[T * I];             // [T, I] silu(gate)·up
    }
}
