// Forward with saved activations and the explicit backward of a decoder (LLaMA, Qwen2, Qwen3, InternLM2, GPT-2), one sequence
// at a time: the same kernel calls as DecoderModel's forward, then their backward pairs in reverse (llm.c's layout).
// Gradients flow through the frozen base into the run's LoRA adapters (an AdapterSet), or into every weight (full fine-tune).
// Memory: logits are made and consumed a chunk of rows at a time; attention saves each row's log-sum-exp, not its
// probabilities (AttentionFlash); with recomputation (on by default for long sequences) only layer inputs are kept.
// A row may pack several examples (TokenizedExample.Starts): attention stays within each, positions restart at each.
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
    private LayerActivations[] _acts = [];     // one per layer, or a single reused one when recomputing
    private float[][] _x = [];                 // [L+1][T, C] residual stream: _x[l] enters layer l, _x[L] leaves the last
    private ulong[] _dropoutStates = [];       // [L] dropout RNG state as each layer's forward began
    private int _capacity;
    private bool _recompute;                   // the mode the buffers were sized for
    private float[] _cos = [], _sin = [];      // [capacity, D/2] RoPE tables by position
    private float[] _rowCos = [], _rowSin = [];  // [T, D/2] the tables gathered by each row's position in a packed row
    private int[] _rowStart = [];              // [T] first token of each row's example in a packed row
    private ReadOnlyMemory<float> _stepCos, _stepSin;
    private ReadOnlyMemory<int> _stepRowStart;
    private float[] _rstdFinal = [], _hFinal = [], _logits = [];
    private LayerGradients _grads = null!;     // backward scratch
    private float[] _dx = [];                  // [T, C] gradient of the residual stream
    private float[] _act = [];                 // [T, I] silu(gate)·up of the layer at hand
    private float[] _qkv = [];                 // [T, (H + 2·KV)·D] a packed q/k/v projection's output, then its gradient

    public DecoderModel Model => _model;

    /// <summary>Gradient checkpointing: keep only each layer's input and re-run its forward during the backward, so
    /// activations take one layer's worth of memory instead of all layers'. Same gradients, about a third more compute.
    /// Null (the default): on once a sequence is longer than <see cref="AutoRecomputeTokens"/>.</summary>
    public bool? RecomputeActivations { get; init; }

    /// <summary>The length above which recomputation is on unless <see cref="RecomputeActivations"/> says otherwise: the
    /// saved activations of a 0.5B model take ~1.4 MB per token (24 layers), 1.4 GB at 1,024 tokens on top of its weights.</summary>
    public const int AutoRecomputeTokens = 1024;

    /// <summary>Whether the backward re-runs each layer (decided by the longest sequence seen so far).</summary>
    public bool Recomputing => _recompute;

    /// <summary>Rows of logits [rows, V] computed at once for the loss; [T, V] is never held whole. Each chunk streams the
    /// whole LM head [V, C] twice (logits, then the input gradient), so wider chunks stream it fewer times: 256 rather
    /// than 64 rows took a 2,048-token step of the 2-layer Qwen3-0.6B shape from 28.6 to 18.1 CPU-s, for 155 MB of
    /// logits at V = 151,936 (the GEMM's packed rows of dY stay small: deep products run in sweeps).</summary>
    public int LossChunkTokens { get; init; } = 256;
    public ParameterSet Parameters => _parameters;

    /// <summary>Applies dropout inside LoRA adapters (training mode); off for evaluation.</summary>
    public bool Training { get => _linear.Training; set => _linear.Training = value; }

    /// <summary>Source of the dropout masks; part of the resumable state.</summary>
    public TrainingRandom DropoutRandom { get => _linear.DropoutRandom; set => _linear.DropoutRandom = value; }

    /// <summary>Prompt tuning: virtual-token embeddings [N, C] put before every sequence (positions 0..N−1, no loss on
    /// them); when its embeddings are in the <see cref="ParameterSet"/>, the input-embedding backward trains them.</summary>
    public PromptTuning? Prompt { get; init; }

    /// <summary>The LoRA adapters every projection applies (and that a LoRA run trains), or null.</summary>
    public AdapterSet? Adapters => _linear.Adapters;

    public DecoderTrainingGraph(DecoderModel model, ParameterSet parameters, AdapterSet? adapters = null)
    {
        adapters?.CheckFits(model.LayerLinears.Append(model.LmHead), $"the model of {model.Config.Path}");
        _model = model;
        _parameters = parameters;
        _linear = new LinearPass(parameters, adapters);
    }

    /// <summary>The token-mean loss of a micro-batch; when <paramref name="backward"/>, its gradients, divided further by
    /// <paramref name="accumulationSteps"/> so micro-batches accumulated into one optimizer step average.</summary>
    public double Batch(IReadOnlyList<TokenizedExample> batch, bool backward, int accumulationSteps = 1)
    {
        int n = batch.Sum(e => e.TargetCount);
        if (n == 0) return 0;
        double sum = 0;
        foreach (var e in batch)
            sum += Step(e.Ids, e.Targets(), 1f / (n * accumulationSteps), backward, e.Starts);
        return sum / n;
    }

    /// <summary>One sequence: ids [T], targets [T] (the next token per position, −1 where no loss is taken). Returns the
    /// summed loss over unmasked targets; when <paramref name="backward"/>, accumulates its gradients scaled by
    /// <paramref name="gradScale"/> (1 / the number of targets in the batch for a token-mean loss). A packed row names
    /// the first token of each of its examples in <paramref name="starts"/> (empty or [0]: one example).</summary>
    public double Step(ReadOnlySpan<int> ids, ReadOnlySpan<int> targets, float gradScale, bool backward, ReadOnlySpan<int> starts = default)
    {
        int T = ids.Length, C = _model.Config.HiddenSize, P = Prompt?.NumVirtualTokens ?? 0;
        if (targets.Length != T) throw new ArgumentException($"{T} ids but {targets.Length} targets");
        StepProfile.Stage = "forward";
        var hf = ForwardToFinalNorm(ids, starts);
        var dhf = _grads.Dh.AsSpan(0, (P + T) * C);   // [P + T, C] gradient of hf (virtual tokens first, no loss on them)
        if (backward) dhf.Clear();
        double loss = LossInChunks(hf[(P * C)..], targets, gradScale, backward ? dhf[(P * C)..] : default);
        if (backward) BackwardFromFinalNorm(ids, dhf);
        StepProfile.Stage = "forward";
        return loss;
    }

    /// <summary>The final-normed hidden states [T, C] of one sequence — the bare decoder's last_hidden_state, what decoder
    /// embedders pool — saving what <see cref="BackwardHidden"/> needs. Valid until the next forward.</summary>
    public ReadOnlySpan<float> ForwardHidden(ReadOnlySpan<int> ids)
    {
        if (Prompt is not null) throw new InvalidOperationException("prompt tuning trains a causal LM; the hidden-state path is for embedders");
        _hiddenIds = ids.ToArray();
        return ForwardToFinalNorm(ids, default);
    }

    /// <summary>Accumulates parameter gradients given dLoss/dhidden [T, C] for the sequence of the last
    /// <see cref="ForwardHidden"/>.</summary>
    public void BackwardHidden(ReadOnlySpan<float> dHidden)
    {
        var ids = _hiddenIds ?? throw new InvalidOperationException("BackwardHidden needs a ForwardHidden first");
        int n = ids.Length * _model.Config.HiddenSize;
        if (dHidden.Length != n) throw new ArgumentException($"dHidden holds {dHidden.Length} floats, expected {ids.Length}x{_model.Config.HiddenSize}");
        BackwardFromFinalNorm(ids, dHidden);
    }

    private int[]? _hiddenIds;

    /// <summary>Embedding (after the prompt-tuning rows, if any), every layer and the final RMSNorm, saving activations;
    /// returns hf [P + T, C]. A packed row (<paramref name="starts"/>) has no prompt-tuning rows.</summary>
    private Span<float> ForwardToFinalNorm(ReadOnlySpan<int> ids, ReadOnlySpan<int> starts)
    {
        var cfg = _model.Config;
        int P = Prompt?.NumVirtualTokens ?? 0, T = P + ids.Length, C = cfg.HiddenSize, L = _model.Layers.Count;
        float eps = (float)cfg.RmsNormEps;
        if (P > 0 && starts.Length > 1)
            throw new EngineException("packed rows (several examples in one row) cannot take prompt-tuning rows: train prompt tuning without --pack");
        Ensure(T);
        _model.PrepareRope(0, T, _cos, _sin);
        SetExamples(T, starts);
        var x = _x[0].AsSpan(0, T * C);
        long t0 = StepProfile.Begin();
        if (Prompt is { } prompt)
        {
            if (prompt.TokenDim != C) throw new EngineException($"prompt embeddings are {prompt.TokenDim} wide, the model's hidden size is {C} ({cfg.Path})");
            prompt.Embeddings.CopyTo(x);
        }
        for (int t = 0; t < ids.Length; t++)
        {
            if ((uint)ids[t] >= (uint)cfg.VocabSize)
                throw new EngineException($"token id {ids[t]} is outside the vocabulary of {cfg.VocabSize} ({cfg.Path})");
            _model.EmbedTokens.ReadRow(ids[t], x.Slice((P + t) * C, C));
        }
        if (_model.PositionEmbeddings is { } wpe)
        {
            if (T > cfg.MaxPositionEmbeddings)
                throw new EngineException($"a training sequence of {T} tokens exceeds the {cfg.MaxPositionEmbeddings} learned positions of {cfg.Path} (n_positions)");
            var row = _hFinal.AsSpan(0, C);
            for (int t = 0; t < T; t++)
            {
                wpe.ReadRow(Position(t), row);
                TensorPrimitives.Add(x.Slice(t * C, C), row, x.Slice(t * C, C));
            }
        }
        StepProfile.End("embedding", t0);
        for (int l = 0; l < L; l++)
        {
            _dropoutStates[l] = DropoutRandom.State;
            LayerForward(l, T);
        }
        var hf = _hFinal.AsSpan(0, T * C);
        t0 = StepProfile.Begin();
        NormForward(_x[L].AsSpan(0, T * C), _model.Norm, _model.NormBias, eps, hf, _rstdFinal);
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        return hf;
    }

    /// <summary>The backward of <see cref="ForwardToFinalNorm"/> given dLoss/dhf [T, C]: the same calls in reverse.</summary>
    private void BackwardFromFinalNorm(ReadOnlySpan<int> ids, ReadOnlySpan<float> dhf)
    {
        int P = Prompt?.NumVirtualTokens ?? 0, T = P + ids.Length, C = _model.Config.HiddenSize, L = _model.Layers.Count;
        var grads = _grads;
        var dx = _dx;                              // [T, C] gradient of the residual stream
        StepProfile.Stage = "backward";
        long t0 = StepProfile.Begin();
        Array.Clear(dx, 0, T * C);
        NormBackward(dhf, _x[L].AsSpan(0, T * C), _model.Norm, _model.NormBias, _rstdFinal, dx);
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        for (int l = L - 1; l >= 0; l--)
        {
            if (_recompute)
            {
                // Re-run the layer from its saved input with the dropout masks it drew the first time.
                ulong after = DropoutRandom.State;
                DropoutRandom.State = _dropoutStates[l];
                StepProfile.Stage = "recompute";
                LayerForward(l, T, recomputing: true);
                StepProfile.Stage = "backward";
                DropoutRandom.State = after;
            }
            LayerBackward(l, T, dx, grads);
        }
        t0 = StepProfile.Begin();
        // The input-embedding backward: the virtual tokens' rows into the prompt embeddings, the tokens' into embed_tokens.
        if (Prompt is { } prompt && _parameters.Grad(prompt.Embeddings) is { IsEmpty: false } dPrompt)
            TensorPrimitives.Add(dPrompt, dx.AsSpan(0, P * C), dPrompt);
        var dEmbed = _parameters.Grad(_model.EmbedTokens);
        if (!dEmbed.IsEmpty)
            for (int t = 0; t < ids.Length; t++)
            {
                var row = dEmbed.Slice(ids[t] * C, C);
                TensorPrimitives.Add(row, dx.AsSpan((P + t) * C, C), row);
            }
        var dPositions = _model.PositionEmbeddings is { } wpe ? _parameters.Grad(wpe) : default;
        if (!dPositions.IsEmpty)
            for (int t = 0; t < T; t++)
            {
                var row = dPositions.Slice(Position(t) * C, C);
                TensorPrimitives.Add(row, dx.AsSpan(t * C, C), row);
            }
        StepProfile.End("embedding", t0);
    }

    /// <summary>The position of row t within its example (packed rows restart their positions at each example).</summary>
    private int Position(int t) => _stepRowStart.IsEmpty ? t : t - _stepRowStart.Span[t];

    /// <summary>logits = lm_head(hf) and the cross-entropy, <see cref="LossChunkTokens"/> rows at a time so [T, V] never
    /// exists; with a <paramref name="dh"/> [T, C], each chunk's backward runs at once and adds into it. Chunks whose
    /// targets are all masked (prompt and documents) are skipped: they carry neither loss nor gradient.</summary>
    private double LossInChunks(ReadOnlySpan<float> hf, ReadOnlySpan<int> targets, float gradScale, Span<float> dh)
    {
        int T = targets.Length, C = _model.Config.HiddenSize, V = _model.Config.VocabSize;
        double loss = 0;
        string stage = StepProfile.Stage;
        StepProfile.Stage = "LM head";
        for (int t0 = 0; t0 < T; t0 += LossChunkTokens)
        {
            int n = Math.Min(LossChunkTokens, T - t0);
            var chunkTargets = targets.Slice(t0, n);
            if (!chunkTargets.ContainsAnyExcept(-1)) continue;
            var h = hf.Slice(t0 * C, n * C);
            var logits = _logits.AsSpan(0, n * V);   // [n, V], then overwritten by dLoss/dlogits
            _linear.Forward(_model.LmHead, h, logits, n);
            long start = StepProfile.Begin();
            loss += DecoderPasses.CrossEntropyForwardBackward(logits, chunkTargets, V, gradScale);
            StepProfile.End("cross-entropy", start);
            if (!dh.IsEmpty)
                _linear.Backward(_model.LmHead, h, logits, dh.Slice(t0 * C, n * C), n);
        }
        StepProfile.Stage = stage;
        return loss;
    }

    /// <summary>Layer l on its input _x[l] → _x[l+1], saving what its backward needs; <paramref name="recomputing"/>: only
    /// what the backward needs, for a re-run from the saved input.</summary>
    private void LayerForward(int l, int T, bool recomputing = false)
    {
        var cfg = _model.Config;
        int C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim, I = cfg.IntermediateSize;
        float eps = (float)cfg.RmsNormEps;
        var layer = _model.Layers[l];
        var a = Activations(l);
        var xIn = _x[l].AsSpan(0, T * C);
        var h1 = a.H1.AsSpan(0, T * C);
        long t0 = StepProfile.Begin();
        NormForward(xIn, layer.InputLayerNorm, layer.InputNormBias, eps, h1, a.Rstd1);
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        if (layer.QkvProj is { } qkv)
        {
            var packed = _qkv.AsSpan(0, T * qkv.OutFeatures);   // [T, (H + 2·KV)·D]
            _linear.Forward(qkv, h1, packed, T);
            cfg.QkvLayout!.Unpack(packed, a.Q, a.K, a.V, T);
        }
        else
        {
            _linear.Forward(layer.QProj!, h1, a.Q, T);
            _linear.Forward(layer.KProj!, h1, a.K, T);
            _linear.Forward(layer.VProj!, h1, a.V, T);
        }
        t0 = StepProfile.Begin();
        if (layer.QNorm is not null)
        {
            a.Q.AsSpan(0, T * H * D).CopyTo(a.QPre);
            a.K.AsSpan(0, T * KV * D).CopyTo(a.KPre);
            DecoderPasses.RmsNormForward(a.QPre.AsSpan(0, T * H * D), layer.QNorm, eps, a.Q, a.QRstd);
            DecoderPasses.RmsNormForward(a.KPre.AsSpan(0, T * KV * D), layer.KNorm!, eps, a.K, a.KRstd);
        }
        if (!cfg.LearnedPositions)
        {
            var cos = _stepCos.Span;
            var sin = _stepSin.Span;
            Rope.Apply(a.Q, T, H, D, 0, cos, sin);
            Rope.Apply(a.K, T, KV, D, 0, cos, sin);
        }
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        t0 = StepProfile.Begin();
        DecoderPasses.AttentionForward(a.Q, a.K, a.V, a.Att, a.Lse, T, H, KV, D, rowStart: _stepRowStart.Span);
        StepProfile.End("attention", t0);
        var xMid = a.XMid.AsSpan(0, T * C);
        _linear.Forward(layer.OProj, a.Att.AsSpan(0, T * H * D), xMid, T);
        t0 = StepProfile.Begin();
        TensorPrimitives.Add(xMid, xIn, xMid);
        var h2 = a.H2.AsSpan(0, T * C);
        NormForward(xMid, layer.PostAttentionLayerNorm, layer.PostNormBias, eps, h2, a.Rstd2);
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        _linear.Forward(layer.UpProj, h2, a.Up, T);
        if (layer.GateProj is { } gateProj) _linear.Forward(gateProj, h2, a.Gate, T);
        // A re-run for the backward stops here: the backward remakes silu(gate)·up itself, never reads the layer's
        // output, and down_proj's adapter kept its A·x from the first run (a seventh of the layer's GEMM work saved).
        if (recomputing) return;
        var act = _act.AsSpan(0, T * I);
        if (layer.GateProj is not null)
        {
            t0 = StepProfile.Begin();
            DecoderPasses.SwiGluForward(a.Gate.AsSpan(0, T * I), a.Up.AsSpan(0, T * I), act);
        }
        else
        {
            t0 = StepProfile.Begin();
            DecoderPasses.GeluTanhForward(a.Up.AsSpan(0, T * I), act);
        }
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        var xOut = _x[l + 1].AsSpan(0, T * C);
        _linear.Forward(layer.DownProj, act, xOut, T);
        t0 = StepProfile.Begin();
        TensorPrimitives.Add(xOut, xMid, xOut);
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
    }

    /// <summary>Layer l's backward: dx [T, C] holds dLoss/d_x[l+1] on entry and dLoss/d_x[l] on return.</summary>
    private void LayerBackward(int l, int T, float[] dx, LayerGradients g)
    {
        var cfg = _model.Config;
        int C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim, I = cfg.IntermediateSize;
        var layer = _model.Layers[l];
        var a = Activations(l);
        // MLP block
        // silu(gate)·up is not saved (it is as large as gate or up): remade here, elementwise, for down_proj's backward.
        var act = _act.AsSpan(0, T * I);
        long t0 = StepProfile.Begin();
        if (layer.GateProj is not null)
            DecoderPasses.SwiGluForward(a.Gate.AsSpan(0, T * I), a.Up.AsSpan(0, T * I), act);
        else
            DecoderPasses.GeluTanhForward(a.Up.AsSpan(0, T * I), act);
        var dAct = g.Dh.AsSpan(0, T * I);
        dAct.Clear();
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        _linear.Backward(layer.DownProj, act, dx, dAct, T);
        t0 = StepProfile.Begin();
        Array.Clear(g.Dg);
        Array.Clear(g.Du);
        if (layer.GateProj is not null)
            DecoderPasses.SwiGluBackward(dAct, a.Gate.AsSpan(0, T * I), a.Up.AsSpan(0, T * I), g.Dg, g.Du);
        else
            DecoderPasses.GeluTanhBackward(dAct, a.Up.AsSpan(0, T * I), g.Du);
        var dh2 = g.Dh.AsSpan(0, T * C);
        dh2.Clear();
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        if (layer.GateProj is { } gateProj)
            _linear.Backward(gateProj, a.H2.AsSpan(0, T * C), g.Dg, dh2, T);
        _linear.Backward(layer.UpProj, a.H2.AsSpan(0, T * C), g.Du, dh2, T);
        t0 = StepProfile.Begin();
        NormBackward(dh2, a.XMid.AsSpan(0, T * C), layer.PostAttentionLayerNorm, layer.PostNormBias, a.Rstd2, dx);

        // attention block
        var dAtt = g.Dh.AsSpan(0, T * H * D);
        dAtt.Clear();
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        _linear.Backward(layer.OProj, a.Att.AsSpan(0, T * H * D), dx, dAtt, T);
        t0 = StepProfile.Begin();
        Array.Clear(g.Dq);
        Array.Clear(g.Dk);
        Array.Clear(g.Dv);
        DecoderPasses.AttentionBackward(dAtt, a.Q, a.K, a.V, a.Att, a.Lse, g.Dq, g.Dk, g.Dv, T, H, KV, D, rowStart: _stepRowStart.Span);
        StepProfile.End("attention", t0);
        t0 = StepProfile.Begin();
        if (!cfg.LearnedPositions)
        {
            DecoderPasses.RopeBackward(g.Dq, T, H, D, _stepCos.Span, _stepSin.Span);
            DecoderPasses.RopeBackward(g.Dk, T, KV, D, _stepCos.Span, _stepSin.Span);
        }
        if (layer.QNorm is not null)
        {
            var dqPre = g.DqPre.AsSpan(0, T * H * D);
            var dkPre = g.DkPre.AsSpan(0, T * KV * D);
            dqPre.Clear();
            dkPre.Clear();
            DecoderPasses.RmsNormBackward(g.Dq.AsSpan(0, T * H * D), a.QPre.AsSpan(0, T * H * D), layer.QNorm, a.QRstd, dqPre, _parameters.Grad(layer.QNorm));
            DecoderPasses.RmsNormBackward(g.Dk.AsSpan(0, T * KV * D), a.KPre.AsSpan(0, T * KV * D), layer.KNorm!, a.KRstd, dkPre, _parameters.Grad(layer.KNorm!));
            dqPre.CopyTo(g.Dq);
            dkPre.CopyTo(g.Dk);
        }
        var dh1 = g.Dh.AsSpan(0, T * C);
        dh1.Clear();
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
        if (layer.QkvProj is { } qkv)
        {
            var dPacked = _qkv.AsSpan(0, T * qkv.OutFeatures);
            cfg.QkvLayout!.Pack(g.Dq, g.Dk, g.Dv, dPacked, T);
            _linear.Backward(qkv, a.H1.AsSpan(0, T * C), dPacked, dh1, T);
        }
        else
        {
            _linear.Backward(layer.QProj!, a.H1.AsSpan(0, T * C), g.Dq, dh1, T);
            _linear.Backward(layer.KProj!, a.H1.AsSpan(0, T * C), g.Dk, dh1, T);
            _linear.Backward(layer.VProj!, a.H1.AsSpan(0, T * C), g.Dv, dh1, T);
        }
        t0 = StepProfile.Begin();
        NormBackward(dh1, _x[l].AsSpan(0, T * C), layer.InputLayerNorm, layer.InputNormBias, a.Rstd1, dx);
        StepProfile.End("norms, RoPE, SiLU, residuals", t0);
    }

    /// <summary>RMSNorm, or LayerNorm when the norm has a bias (GPT-2); stats [2T] saves rstd (RMSNorm: the first T) or
    /// mean and rstd (LayerNorm).</summary>
    private static void NormForward(ReadOnlySpan<float> x, float[] w, float[]? b, float eps, Span<float> y, Span<float> stats)
    {
        if (b is null) DecoderPasses.RmsNormForward(x, w, eps, y, stats);
        else EncoderPasses.LayerNormForward(x, w, b, eps, y, stats);
    }

    /// <summary>dx += the backward of <see cref="NormForward"/>; the weight's (and bias's) gradients when they train.</summary>
    private void NormBackward(ReadOnlySpan<float> dy, ReadOnlySpan<float> x, float[] w, float[]? b, ReadOnlySpan<float> stats, Span<float> dx)
    {
        if (b is null) DecoderPasses.RmsNormBackward(dy, x, w, stats, dx, _parameters.Grad(w));
        else EncoderPasses.LayerNormBackward(dy, x, w, stats, dx, _parameters.Grad(w), _parameters.Grad(b));
    }

    private LayerActivations Activations(int l) => _recompute ? _acts[0] : _acts[l];

    /// <summary>The mask and positions of this row: one example (keys from 0, positions 0..T-1), or packed examples
    /// starting at <paramref name="starts"/> (each row sees keys from its example's first token, positions restart).</summary>
    private void SetExamples(int T, ReadOnlySpan<int> starts)
    {
        if (starts.Length <= 1 && (starts.IsEmpty || starts[0] == 0))
        {
            _stepCos = _cos;
            _stepSin = _sin;
            _stepRowStart = default;
            return;
        }
        for (int i = 0; i < starts.Length; i++)
            if ((i == 0 && starts[i] != 0) || (i > 0 && starts[i] <= starts[i - 1]) || starts[i] >= T)
                throw new EngineException($"a packed row of {T} tokens has example starts [{string.Join(", ", starts.ToArray())}]; " +
                    "expected 0 first, then increasing starts below the row's length");
        int half = _model.Config.HeadDim / 2, example = 0;
        for (int t = 0; t < T; t++)
        {
            while (example + 1 < starts.Length && starts[example + 1] <= t) example++;
            int first = starts[example];
            _rowStart[t] = first;
            _cos.AsSpan((t - first) * half, half).CopyTo(_rowCos.AsSpan(t * half, half));
            _sin.AsSpan((t - first) * half, half).CopyTo(_rowSin.AsSpan(t * half, half));
        }
        _stepCos = _rowCos.AsMemory(0, T * half);
        _stepSin = _rowSin.AsMemory(0, T * half);
        _stepRowStart = _rowStart.AsMemory(0, T);
    }

    private void Ensure(int T)
    {
        bool recompute = RecomputeActivations ?? (_recompute || T > AutoRecomputeTokens);
        if (T <= _capacity && recompute == _recompute) return;
        T = Math.Max(T, _capacity);
        _recompute = recompute;
        if (LossChunkTokens <= 0)
            throw new ArgumentOutOfRangeException(nameof(LossChunkTokens), LossChunkTokens, "the loss chunk must hold at least one row");
        var cfg = _model.Config;
        int C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim, I = cfg.IntermediateSize;
        int L = _model.Layers.Count;
        _acts = new LayerActivations[_recompute ? 1 : L];
        for (int l = 0; l < _acts.Length; l++)
            _acts[l] = new LayerActivations(T, C, H, KV, D, I, _model.Layers[l].QNorm is not null);
        _x = new float[L + 1][];
        for (int l = 0; l <= L; l++) _x[l] = new float[T * C];
        _dropoutStates = new ulong[L];
        _grads = new LayerGradients(T, H * D, KV * D, I, new float[T * Math.Max(C, Math.Max(H * D, I))], _model.Layers[0].QNorm is not null);
        _dx = new float[T * C];
        _act = new float[T * I];
        _qkv = cfg.QkvLayout is { } layout ? new float[T * layout.Width] : [];
        _rstdFinal = new float[2 * T];
        _hFinal = new float[T * C];
        _logits = new float[(long)Math.Min(T, LossChunkTokens) * cfg.VocabSize];
        int half = D / 2;
        _cos = new float[T * half];
        _sin = new float[T * half];
        _rowCos = new float[T * half];
        _rowSin = new float[T * half];
        _rowStart = new int[T];
        Rope.BuildTables(_model.InverseFrequencies, T, _cos, _sin);
        _capacity = T;
    }

    /// <summary>Backward scratch sized at the longest sequence, reused by every layer and step (each clears what it uses).</summary>
    private sealed class LayerGradients(int T, int qDim, int kvDim, int I, float[] dh, bool qkNorm)
    {
        public float[] DqPre { get; } = qkNorm ? new float[T * qDim] : [];    // [T, H·D] gradient before q_norm
        public float[] DkPre { get; } = qkNorm ? new float[T * kvDim] : [];   // [T, KV·D] gradient before k_norm
        public float[] Dh { get; } = dh;                     // [T, max(C, H·D, I)] gradient flowing into a sublayer input
        public float[] Dq { get; } = new float[T * qDim];    // [T, H·D]
        public float[] Dk { get; } = new float[T * kvDim];   // [T, KV·D]
        public float[] Dv { get; } = new float[T * kvDim];   // [T, KV·D]
        public float[] Dg { get; } = new float[T * I];       // [T, I]
        public float[] Du { get; } = new float[T * I];       // [T, I]
    }

    /// <summary>What one layer's backward needs, sized for T tokens.</summary>
    private sealed class LayerActivations(int T, int C, int H, int KV, int D, int I, bool qkNorm)
    {
        public float[] Rstd1 { get; } = new float[2 * T];           // [2, T] rstd (RMSNorm), or mean and rstd (LayerNorm)
        public float[] H1 { get; } = new float[T * C];              // [T, C] input_layernorm(x)
        public float[] QPre { get; } = qkNorm ? new float[T * H * D] : [];   // [T, H·D] before q_norm
        public float[] KPre { get; } = qkNorm ? new float[T * KV * D] : [];  // [T, KV·D] before k_norm
        public float[] QRstd { get; } = qkNorm ? new float[T * H] : [];
        public float[] KRstd { get; } = qkNorm ? new float[T * KV] : [];
        public float[] Q { get; } = new float[T * H * D];           // [T, H·D] after RoPE
        public float[] K { get; } = new float[T * KV * D];          // [T, KV·D] after RoPE
        public float[] V { get; } = new float[T * KV * D];          // [T, KV·D]
        public float[] Lse { get; } = new float[H * T];             // [H, T] log-sum-exp of each softmax row
        public float[] Att { get; } = new float[T * H * D];         // [T, H·D]
        public float[] XMid { get; } = new float[T * C];            // [T, C] after the attention residual
        public float[] Rstd2 { get; } = new float[2 * T];
        public float[] H2 { get; } = new float[T * C];              // [T, C] post_attention_layernorm(xMid)
        public float[] Gate { get; } = new float[T * I];            // [T, I]
        public float[] Up { get; } = new float[T * I];              // [T, I]
    }
}
