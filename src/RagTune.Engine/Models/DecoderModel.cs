// Causal decoder — LLaMA, Qwen2, Qwen3, InternLM2 and GPT-2 share this forward; what differs between them (tensor names,
// a packed q/k/v projection, q/k/v/o and MLP biases, Qwen3's q/k RMSNorm, RoPE and its scaling or GPT-2's learned positions,
// RMSNorm or LayerNorm, SwiGLU or GPT-2's gelu MLP, tied lm_head) comes from their config classes and the tensors loaded.
// Letters: T tokens in this call, C hidden_size, H query heads, KV key/value heads, D head_dim, I intermediate_size,
// V vocab_size, S positions attended to.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

public sealed class DecoderModel : IDisposable
{
    public DecoderConfig Config { get; }
    public WeightMatrix EmbedTokens { get; }     // [V, C]
    public IReadOnlyList<DecoderLayer> Layers { get; }
    public float[] Norm { get; }                 // [C]
    public float[]? NormBias { get; }            // [C], the final LayerNorm's bias (GPT-2), or null for RMSNorm
    public WeightMatrix? PositionEmbeddings { get; }  // [P, C] learned positions (GPT-2's wpe), or null for RoPE
    public Linear LmHead { get; }                // [V, C]; shares EmbedTokens when tie_word_embeddings
    internal float[] InverseFrequencies { get; } // [D/2], RoPE after scaling

    // The mapped checkpoint (or GGUF file) that weights are read from in place; owned when Load opened it.
    private IDisposable? _ownedFile;

    // The error for NaN/infinite results: names the weight file and the tensor holding such values.
    private Func<string, EngineException> _nonFinite = null!;

    private DecoderModel(DecoderConfig config, WeightMatrix embed, DecoderLayer[] layers, float[] norm, Linear lmHead,
        float[]? inverseFrequencies = null, float[]? normBias = null, WeightMatrix? positionEmbeddings = null)
    {
        NormBias = normBias;
        PositionEmbeddings = positionEmbeddings;
        Config = config;
        EmbedTokens = embed;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
        InverseFrequencies = inverseFrequencies ?? RopeScaling.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>A model from weights read elsewhere (a GGUF file): <paramref name="inverseFrequencies"/> [D/2] as RoPE uses
    /// them, <paramref name="nonFinite"/> the error for NaN results, the final LayerNorm's bias and learned positions for GPT-2.</summary>
    internal static DecoderModel FromParts(DecoderConfig config, WeightMatrix embed, DecoderLayer[] layers, float[] norm, Linear lmHead,
        float[] inverseFrequencies, Func<string, EngineException> nonFinite, IDisposable? ownedFile = null,
        float[]? normBias = null, WeightMatrix? positionEmbeddings = null)
        => new(config, embed, layers, norm, lmHead, inverseFrequencies, normBias, positionEmbeddings) { _nonFinite = nonFinite, _ownedFile = ownedFile };

    /// <summary>Loads config.json and the safetensors checkpoint of <paramref name="directory"/> — or a GGUF file
    /// (<see cref="GgufDecoder"/>) — holding the weight matrices in <paramref name="format"/> (as stored by default).</summary>
    public static DecoderModel Load(string directory, WeightFormat format = WeightFormat.Checkpoint)
    {
        if (Formats.GgufFile.IsGgufFile(directory)) return GgufDecoder.Load(directory, format);
        var config = ModelConfig.Load(directory) as DecoderConfig
            ?? throw new EngineException($"{directory}: {ModelConfig.Load(directory).Architecture} is an encoder, expected a causal decoder");
        var checkpoint = Checkpoint.Open(directory);
        try
        {
            var model = Load(config, checkpoint, format);
            model._ownedFile = checkpoint;
            return model;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Like <see cref="Load(string, WeightFormat)"/> from an open checkpoint that the caller keeps open for the
    /// model's lifetime (F32/BF16 matrices are read from it in place).</summary>
    public static DecoderModel Load(DecoderConfig config, Checkpoint checkpoint, WeightFormat format = WeightFormat.Checkpoint)
    {
        if (!config.HasLmHead)
            throw new EngineException($"{config.Path}: architecture '{config.Architecture}' has no language-model head (lm_head), "
                + "so it cannot generate; it loads as an embedding model (ragtune embed, kb create)");
        return Load(config, checkpoint, format, BackbonePrefix(config, checkpoint), withHead: true);
    }

    /// <summary>The backbone's name prefix ("model.", "transformer." …), or "" when the checkpoint's tensors are saved
    /// without it (GPT-2 as first published and any GPT2Model save; bare Qwen2Model/Qwen3Model/LlamaModel saves).</summary>
    private static string BackbonePrefix(DecoderConfig config, Checkpoint checkpoint)
    {
        string backbone = config.Names.Backbone, embed = config.Names.EmbedTokens + ".weight";
        return !checkpoint.Contains(backbone + embed) && checkpoint.Contains(embed) ? "" : backbone;
    }

    /// <summary>The decoder without needing its head, for embedding models: the checkpoint may be a …ForCausalLM save or a
    /// bare Qwen2Model/Qwen3Model/LlamaModel save (weights named without "model.", no lm_head — as Qwen3-Embedding and
    /// gte-Qwen2 ship). A head the checkpoint lacks is stood in for by the tied embedding matrix: embedders read hidden
    /// states (<see cref="DecoderSession.ForwardHidden"/>) and never the logits.</summary>
    public static DecoderModel LoadBackbone(string directory, WeightFormat format = WeightFormat.Checkpoint)
    {
        var config = ModelConfig.Load(directory) as DecoderConfig
            ?? throw new EngineException($"{directory}: {ModelConfig.Load(directory).Architecture} is an encoder, expected a causal decoder");
        var checkpoint = Checkpoint.Open(directory);
        try
        {
            bool head = !config.TieWordEmbeddings && checkpoint.Contains(config.Names.LmHead + ".weight");
            var model = Load(config, checkpoint, format, BackbonePrefix(config, checkpoint), head);
            model._ownedFile = checkpoint;
            return model;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>Loads the backbone's weights named <paramref name="prefix"/> + embed_tokens/layers/norm, and lm_head when
    /// <paramref name="withHead"/> (else the head is the tied embedding matrix).</summary>
    private static DecoderModel Load(DecoderConfig config, Checkpoint checkpoint, WeightFormat format, string prefix, bool withHead)
    {
        var n = config.Names;
        var specs = config.ExpectedTensors()
            .Where(s => withHead || s.Name != n.LmHead + ".weight")
            .Select(s => s.Name.StartsWith(n.Backbone, StringComparison.Ordinal) ? s with { Name = prefix + s.Name[n.Backbone.Length..] } : s)
            .ToList();
        var w = Weights.Validate(checkpoint, specs, format: format);
        Func<string, bool, Linear> linear = config.Conv1DWeights ? w.TransposedLinear : w.Linear;
        if (withHead && prefix != n.Backbone)
        {
            // PEFT names modules by their path in the …ForCausalLM / …LMHeadModel, whatever prefix the file used.
            var read = linear;
            linear = (module, bias) =>
            {
                var l = read(module, bias);
                return new Linear(n.Backbone + module[prefix.Length..], l.InFeatures, l.OutFeatures, l.Weight, l.Bias);
            };
        }
        var layers = ReadLayers(config, w.Read, linear, prefix);
        var embed = w.Matrix(prefix + n.EmbedTokens + ".weight");
        var lmHead = config.TieWordEmbeddings || !withHead
            ? new Linear(n.LmHead, config.HiddenSize, config.VocabSize, embed, null)
            : w.Linear(n.LmHead, bias: false);
        return new DecoderModel(config, embed, layers, w.Read(prefix + n.FinalNorm + ".weight"), lmHead,
            normBias: config.LayerNormWithBias ? w.Read(prefix + n.FinalNorm + ".bias") : null,
            positionEmbeddings: n.PositionEmbeddings is { } wpe ? w.Matrix(prefix + wpe + ".weight") : null)
        {
            _nonFinite = what => NonFiniteValues.Error(checkpoint, what),
        };
    }

    /// <summary>Every decoder layer's weights, under their Hugging Face names (<paramref name="prefix"/> + layers.N.…), from a
    /// tensor source: <paramref name="vector"/> reads a norm weight, <paramref name="linear"/> a projection (module name, with bias).</summary>
    internal static DecoderLayer[] ReadLayers(DecoderConfig config, Func<string, float[]> vector, Func<string, bool, Linear> linear,
        string prefix = "model.")
    {
        var layers = new DecoderLayer[config.NumHiddenLayers];
        var n = config.Names;
        for (int l = 0; l < layers.Length; l++)
        {
            string p = $"{prefix}{n.Layers}.{l}.";
            bool packed = n.Qkv is not null, biasedNorms = config.LayerNormWithBias;
            layers[l] = new DecoderLayer
            {
                InputLayerNorm = vector(p + n.InputNorm + ".weight"),
                InputNormBias = biasedNorms ? vector(p + n.InputNorm + ".bias") : null,
                QkvProj = packed ? linear(p + n.Qkv, config.QkvBias) : null,
                QProj = packed ? null : linear(p + n.QProj, config.QkvBias),
                KProj = packed ? null : linear(p + n.KProj, config.QkvBias),
                VProj = packed ? null : linear(p + n.VProj, config.QkvBias),
                OProj = linear(p + n.OProj, config.OutputBias),
                QNorm = config.QkNorm ? vector(p + n.QNorm + ".weight") : null,
                KNorm = config.QkNorm ? vector(p + n.KNorm + ".weight") : null,
                PostAttentionLayerNorm = vector(p + n.PostNorm + ".weight"),
                PostNormBias = biasedNorms ? vector(p + n.PostNorm + ".bias") : null,
                GateProj = n.GateProj is null ? null : linear(p + n.GateProj, config.MlpBias),
                UpProj = linear(p + n.UpProj, config.MlpBias),
                DownProj = linear(p + n.DownProj, config.MlpBias),
            };
        }
        return layers;
    }

    /// <summary>Dynamic NTK RoPE (<see cref="RopeScaling.DynamicInverseFrequencies"/>): rewrites the cos/sin rows of
    /// positions <paramref name="start"/>.. for a forward call of <paramref name="count"/> tokens with the frequencies of the
    /// length that call reaches. Without dynamic scaling the tables built once hold for every call, and nothing is done.</summary>
    internal void PrepareRope(int start, int count, Span<float> cos, Span<float> sin)
    {
        if (Config.RopeScaling is not { Type: "dynamic" }) return;
        var inv = RopeScaling.DynamicInverseFrequencies(Config.HeadDim, Config.RopeTheta, Config.RopeScaling, start + count) ?? InverseFrequencies;
        Rope.BuildTables(inv, start, count, cos, sin);
    }

    /// <summary>The error for NaN or infinite <paramref name="what"/> (e.g. the logits of a step): names the checkpoint folder
    /// and the tensor that holds non-finite values, or says the activations overflowed when none does.</summary>
    public EngineException NonFiniteError(string what) => _nonFinite(what);

    /// <summary>Closes the checkpoint (or GGUF file) this model opened; its in-place weights cannot be used afterwards.</summary>
    public void Dispose() => _ownedFile?.Dispose();

    public long ParameterCount =>
        EmbedTokens.ElementCount + Norm.LongLength + (NormBias?.LongLength ?? 0) + (PositionEmbeddings?.ElementCount ?? 0)
        + (Config.TieWordEmbeddings ? 0 : LmHead.ParameterCount)
        + Layers.Sum(l => l.InputLayerNorm.LongLength + l.PostAttentionLayerNorm.LongLength
            + (l.InputNormBias?.LongLength ?? 0) + (l.PostNormBias?.LongLength ?? 0)
            + (l.QNorm?.LongLength ?? 0) + (l.KNorm?.LongLength ?? 0)
            + l.Linears.Sum(p => p.ParameterCount));

    /// <summary>Every projection of every layer (q, k, v or the packed qkv, o, gate, up, down), where LoRA adapters attach.</summary>
    public IEnumerable<Linear> LayerLinears => Layers.SelectMany(l => l.Linears);

    /// <summary>A sequence's state: its KV cache for up to <paramref name="capacity"/> positions and the scratch
    /// buffers for prefill chunks of up to <paramref name="chunk"/> tokens, with <paramref name="adapters"/> (LoRA, unmerged)
    /// applied to its projections: sessions with different adapters, or none, share this model. Not thread-safe; one per
    /// sequence.</summary>
    public DecoderSession CreateSession(int capacity, int chunk = 64, AdapterSet? adapters = null) => new(this, capacity, chunk, adapters);

    /// <summary>Whether a single token takes the fused decode path (<see cref="DecodeToken"/>); false forces the
    /// unfused per-projection path, which stays as the oracle the fused one is tested against.</summary>
    internal bool FusedDecode { get; set; } = true;

    private MatVecOperand[]? _lmHeadOperand;

    /// <summary>The fused kernels' operands of layer l for a session: the shared ones without adapters.</summary>
    internal MatVecOperand[] LayerOperands(int l, AdapterSet? adapters) =>
        adapters is null ? Layers[l].Operands : Layers[l].OperandsWith(adapters);

    internal MatVecOperand LmHeadOperand(AdapterSet? adapters) =>
        adapters is null ? (_lmHeadOperand ??= [LinearOperands.Of(LmHead)])[0] : LinearOperands.Of(LmHead, adapters);

    /// <summary>Runs T ≤ chunk new tokens at positions cache.Length.. and appends them to the cache;
    /// writes logits for every row (<paramref name="logits"/> [T, V]) or only the last ([V]).</summary>
    internal void Forward(DecoderSession s, ReadOnlySpan<int> ids, Span<float> logits, bool allRows)
    {
        if (ids.Length == 1 && FusedDecode && Config.Names.GateProj is not null && !Config.LayerNormWithBias)
        {
            DecodeToken(s, ids[0], logits);
            return;
        }
        s.Pass.RunLayers(s, ids);
        // logits = lm_head(norm(x)), for every row or only the last
        int T = ids.Length, C = Config.HiddenSize, V = Config.VocabSize;
        int first = allRows ? 0 : T - 1, rows = T - first;
        var h = s.H.AsSpan(0, T * C);
        ApplyNorm(s.X.AsSpan(first * C, rows * C), Norm, NormBias, h[..(rows * C)]);
        LmHead.Forward(h, logits[..(rows * V)], rows, s.Adapters);
    }

    /// <summary>Runs T ≤ chunk new tokens like <see cref="Forward"/> and writes the final-normed hidden states
    /// (last_hidden_state of the bare decoder) of every row: <paramref name="hidden"/> [T, C].</summary>
    internal void ForwardHidden(DecoderSession s, ReadOnlySpan<int> ids, Span<float> hidden)
    {
        s.Pass.RunLayers(s, ids);
        int rows = ids.Length * Config.HiddenSize;
        ApplyNorm(s.X.AsSpan(0, rows), Norm, NormBias, hidden[..rows]);
    }

    /// <summary>y [N, C] = RMSNorm(x)·w, or LayerNorm(x)·w + b when the norm has a bias (GPT-2).</summary>
    internal void ApplyNorm(ReadOnlySpan<float> x, float[] weight, float[]? bias, Span<float> y)
    {
        if (bias is null) RmsNorm.Forward(x, weight, (float)Config.RmsNormEps, y);
        else LayerNorm.Forward(x, weight, bias, (float)Config.RmsNormEps, y);
    }

    /// <summary>One token at position cache.Length: the same computation as <see cref="Forward"/> with T = 1 (the session's
    /// adapters included), in five
    /// worker-pool dispatches per layer instead of eight (q/k/v together; attention; o_proj into the residual; gate+up
    /// with SwiGLU; down_proj into the residual) and one for lm_head. The small steps between them (RMSNorm, RoPE, the
    /// cache write) run on the calling thread: a few thousand floats each, cheaper than a barrier.</summary>
    private void DecodeToken(DecoderSession s, int id, Span<float> logits)
    {
        var cfg = Config;
        int C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim;
        int I = cfg.IntermediateSize, V = cfg.VocabSize, start = s.Cache.Length;
        float eps = (float)cfg.RmsNormEps;
        if ((uint)id >= (uint)V) throw new EngineException($"token id {id} is outside the vocabulary of {V} ({cfg.Path})");
        var x = s.X.AsSpan(0, C);
        var h = s.H.AsSpan(0, C);
        var q = s.Q.AsSpan(0, H * D);
        var k = s.K.AsSpan(0, KV * D);
        var v = s.V.AsSpan(0, KV * D);
        var att = s.Att.AsSpan(0, H * D);
        var act = s.Gate.AsSpan(0, I);
        var fused = FusedMatVec.ForThisThread;
        EmbedTokens.ReadRow(id, x);

        for (int l = 0; l < Layers.Count; l++)
        {
            var layer = Layers[l];
            var w = s.Operands[l];
            RmsNorm.Forward(x, layer.InputLayerNorm, eps, h);
            int o = 3;   // w: q, k, v, o, gate, up, down — or qkv, o, gate, up, down
            if (layer.QkvProj is { } qkv)
            {
                var packed = s.Qkv.AsSpan(0, qkv.OutFeatures);
                fused.Store(h, w[0], packed);
                cfg.QkvLayout!.Unpack(packed, q, k, v, 1);
                o = 1;
            }
            else
                fused.Store(h, w[0], q, w[1], k, w[2], v);
            if (layer.QNorm is not null)
            {
                RmsNorm.Forward(q, layer.QNorm, eps, q);
                RmsNorm.Forward(k, layer.KNorm, eps, k);
            }
            Rope.Apply(q, 1, H, D, start, s.Cos, s.Sin);
            Rope.Apply(k, 1, KV, D, start, s.Cos, s.Sin);
            s.Cache.Write(l, k, v, start, 1);
            Attention.Forward(q, s.Cache.Keys(l), s.Cache.Values(l), att, s.Scores,
                new AttentionShape(1, H, KV, D, s.Cache.Capacity, start, start + 1, Causal: true));
            fused.AddTo(att, w[o], x);
            RmsNorm.Forward(x, layer.PostAttentionLayerNorm, eps, h);
            fused.SwiGlu(h, w[o + 1], w[o + 2], act);
            fused.AddTo(act, w[o + 3], x);
        }
        s.Cache.Length = start + 1;

        RmsNorm.Forward(x, Norm, eps, h);
        fused.Store(h, s.LmHeadOperand, logits[..V]);
    }
}
