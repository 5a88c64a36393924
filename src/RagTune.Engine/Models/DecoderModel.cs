// Llama-family causal decoder — LLaMA, Qwen2 and Qwen3 share this forward; what differs between them (q/k/v/o and MLP
// biases, Qwen3's q/k RMSNorm, RoPE scaling, tied lm_head) comes from their config classes and the tensors loaded.
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
    public Linear LmHead { get; }                // [V, C]; shares EmbedTokens when tie_word_embeddings
    internal float[] InverseFrequencies { get; } // [D/2], RoPE after scaling

    // The mapped checkpoint that F32/BF16 weights are read from in place; owned when Load opened it.
    private Checkpoint? _ownedCheckpoint;

    // The error for NaN/infinite results: names the weight file and the tensor holding such values.
    private Func<string, EngineException> _nonFinite = null!;

    private DecoderModel(DecoderConfig config, WeightMatrix embed, DecoderLayer[] layers, float[] norm, Linear lmHead,
        float[]? inverseFrequencies = null)
    {
        Config = config;
        EmbedTokens = embed;
        Layers = layers;
        Norm = norm;
        LmHead = lmHead;
        InverseFrequencies = inverseFrequencies ?? RopeScaling.InverseFrequencies(config.HeadDim, config.RopeTheta, config.RopeScaling);
    }

    /// <summary>A model from weights read elsewhere (a GGUF file): <paramref name="inverseFrequencies"/> [D/2] as RoPE uses
    /// them, <paramref name="nonFinite"/> the error for NaN results.</summary>
    internal static DecoderModel FromParts(DecoderConfig config, WeightMatrix embed, DecoderLayer[] layers, float[] norm, Linear lmHead,
        float[] inverseFrequencies, Func<string, EngineException> nonFinite)
        => new(config, embed, layers, norm, lmHead, inverseFrequencies) { _nonFinite = nonFinite };

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
            model._ownedCheckpoint = checkpoint;
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
        return Load(config, checkpoint, format, BackbonePrefix, withHead: true);
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
            string prefix = !checkpoint.Contains(BackbonePrefix + "embed_tokens.weight") && checkpoint.Contains("embed_tokens.weight") ? "" : BackbonePrefix;
            bool head = !config.TieWordEmbeddings && checkpoint.Contains("lm_head.weight");
            var model = Load(config, checkpoint, format, prefix, head);
            model._ownedCheckpoint = checkpoint;
            return model;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    /// <summary>"model.": where a …ForCausalLM checkpoint keeps the decoder's weights.</summary>
    private const string BackbonePrefix = "model.";

    /// <summary>Loads the backbone's weights named <paramref name="prefix"/> + embed_tokens/layers/norm, and lm_head when
    /// <paramref name="withHead"/> (else the head is the tied embedding matrix).</summary>
    private static DecoderModel Load(DecoderConfig config, Checkpoint checkpoint, WeightFormat format, string prefix, bool withHead)
    {
        var specs = config.ExpectedTensors()
            .Where(s => withHead || s.Name != "lm_head.weight")
            .Select(s => s.Name.StartsWith(BackbonePrefix, StringComparison.Ordinal) ? s with { Name = prefix + s.Name[BackbonePrefix.Length..] } : s)
            .ToList();
        var w = Weights.Validate(checkpoint, specs, format: format);
        var layers = ReadLayers(config, w.Read, w.Linear, prefix);
        var embed = w.Matrix(prefix + "embed_tokens.weight");
        var lmHead = config.TieWordEmbeddings || !withHead
            ? new Linear("lm_head", config.HiddenSize, config.VocabSize, embed, null)
            : w.Linear("lm_head", bias: false);
        return new DecoderModel(config, embed, layers, w.Read(prefix + "norm.weight"), lmHead)
        {
            _nonFinite = what => NonFiniteValues.Error(checkpoint, what),
        };
    }

    /// <summary>Every decoder layer's weights, under their Hugging Face names (<paramref name="prefix"/> + layers.N.…), from a
    /// tensor source: <paramref name="vector"/> reads a norm weight, <paramref name="linear"/> a projection (module name, with bias).</summary>
    internal static DecoderLayer[] ReadLayers(DecoderConfig config, Func<string, float[]> vector, Func<string, bool, Linear> linear,
        string prefix = BackbonePrefix)
    {
        var layers = new DecoderLayer[config.NumHiddenLayers];
        for (int l = 0; l < layers.Length; l++)
        {
            string p = $"{prefix}layers.{l}.";
            layers[l] = new DecoderLayer
            {
                InputLayerNorm = vector(p + "input_layernorm.weight"),
                QProj = linear(p + "self_attn.q_proj", config.QkvBias),
                KProj = linear(p + "self_attn.k_proj", config.QkvBias),
                VProj = linear(p + "self_attn.v_proj", config.QkvBias),
                OProj = linear(p + "self_attn.o_proj", config.OutputBias),
                QNorm = config.QkNorm ? vector(p + "self_attn.q_norm.weight") : null,
                KNorm = config.QkNorm ? vector(p + "self_attn.k_norm.weight") : null,
                PostAttentionLayerNorm = vector(p + "post_attention_layernorm.weight"),
                GateProj = linear(p + "mlp.gate_proj", config.MlpBias),
                UpProj = linear(p + "mlp.up_proj", config.MlpBias),
                DownProj = linear(p + "mlp.down_proj", config.MlpBias),
            };
        }
        return layers;
    }

    /// <summary>The error for NaN or infinite <paramref name="what"/> (e.g. the logits of a step): names the checkpoint folder
    /// and the tensor that holds non-finite values, or says the activations overflowed when none does.</summary>
    public EngineException NonFiniteError(string what) => _nonFinite(what);

    /// <summary>Closes the checkpoint this model opened; its in-place weights cannot be used afterwards.</summary>
    public void Dispose() => _ownedCheckpoint?.Dispose();

    public long ParameterCount =>
        EmbedTokens.ElementCount + Norm.LongLength + (Config.TieWordEmbeddings ? 0 : LmHead.ParameterCount)
        + Layers.Sum(l => l.InputLayerNorm.LongLength + l.PostAttentionLayerNorm.LongLength
            + (l.QNorm?.LongLength ?? 0) + (l.KNorm?.LongLength ?? 0)
            + l.QProj.ParameterCount + l.KProj.ParameterCount + l.VProj.ParameterCount + l.OProj.ParameterCount
            + l.GateProj.ParameterCount + l.UpProj.ParameterCount + l.DownProj.ParameterCount);

    /// <summary>Every projection of every layer (q, k, v, o, gate, up, down), where LoRA adapters attach.</summary>
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
        if (ids.Length == 1 && FusedDecode)
        {
            DecodeToken(s, ids[0], logits);
            return;
        }
        RunLayers(s, ids);
        // logits = lm_head(norm(x)), for every row or only the last
        int T = ids.Length, C = Config.HiddenSize, V = Config.VocabSize;
        int first = allRows ? 0 : T - 1, rows = T - first;
        var h = s.H.AsSpan(0, T * C);
        RmsNorm.Forward(s.X.AsSpan(first * C, rows * C), Norm, (float)Config.RmsNormEps, h[..(rows * C)]);
        LmHead.Forward(h, logits[..(rows * V)], rows, s.Adapters);
    }

    /// <summary>Runs T ≤ chunk new tokens like <see cref="Forward"/> and writes the final-normed hidden states
    /// (last_hidden_state of the bare decoder) of every row: <paramref name="hidden"/> [T, C].</summary>
    internal void ForwardHidden(DecoderSession s, ReadOnlySpan<int> ids, Span<float> hidden)
    {
        RunLayers(s, ids);
        int rows = ids.Length * Config.HiddenSize;
        RmsNorm.Forward(s.X.AsSpan(0, rows), Norm, (float)Config.RmsNormEps, hidden[..rows]);
    }

    /// <summary>Runs T ≤ chunk rows of input embeddings [T, C] (prompt tuning's virtual tokens) at positions
    /// cache.Length.. and appends them to the cache; no logits.</summary>
    internal void ForwardEmbeddings(DecoderSession s, ReadOnlySpan<float> embeddings) => RunLayers(s, default, embeddings);

    /// <summary>The layer stack on T ≤ chunk new tokens (or rows of <paramref name="embeddings"/> [T, C] given instead of
    /// ids) at positions cache.Length..: leaves the residual stream in s.X [T, C] and appends them to the cache.</summary>
    private void RunLayers(DecoderSession s, ReadOnlySpan<int> ids, ReadOnlySpan<float> embeddings = default)
    {
        var cfg = Config;
        int T = embeddings.IsEmpty ? ids.Length : embeddings.Length / cfg.HiddenSize, C = cfg.HiddenSize, H = cfg.NumAttentionHeads, KV = cfg.NumKeyValueHeads, D = cfg.HeadDim;
        int I = cfg.IntermediateSize, V = cfg.VocabSize, start = s.Cache.Length;
        float eps = (float)cfg.RmsNormEps;
        var x = s.X.AsSpan(0, T * C);              // [T, C] residual stream
        var h = s.H.AsSpan(0, T * C);              // [T, C] normed input / sublayer output
        var q = s.Q.AsSpan(0, T * H * D);          // [T, H·D]
        var k = s.K.AsSpan(0, T * KV * D);         // [T, KV·D]
        var v = s.V.AsSpan(0, T * KV * D);         // [T, KV·D]
        var att = s.Att.AsSpan(0, T * H * D);      // [T, H·D]
        var gate = s.Gate.AsSpan(0, T * I);        // [T, I]
        var up = s.Up.AsSpan(0, T * I);            // [T, I]

        // inputs_embeds = embed_tokens(input_ids), or the rows given
        embeddings.CopyTo(x);
        for (int t = 0; t < ids.Length; t++)
        {
            if ((uint)ids[t] >= (uint)V)
                throw new EngineException($"token id {ids[t]} is outside the vocabulary of {V} ({cfg.Path})");
            EmbedTokens.ReadRow(ids[t], x.Slice(t * C, C));
        }

        var a = s.Adapters;
        for (int l = 0; l < Layers.Count; l++)
        {
            var layer = Layers[l];
            // --- self-attention block: x = x + o_proj(attn(rope(q), rope(k), v)) on input_layernorm(x)
            RmsNorm.Forward(x, layer.InputLayerNorm, eps, h);
            layer.QProj.Forward(h, q, T, a);
            layer.KProj.Forward(h, k, T, a);
            layer.VProj.Forward(h, v, T, a);
            if (layer.QNorm is not null)
            {
                RmsNorm.Forward(q, layer.QNorm, eps, q);   // per head: rows of D
                RmsNorm.Forward(k, layer.KNorm, eps, k);
            }
            Rope.Apply(q, T, H, D, start, s.Cos, s.Sin);
            Rope.Apply(k, T, KV, D, start, s.Cos, s.Sin);
            s.Cache.Write(l, k, v, start, T);
            Attention.Forward(q, s.Cache.Keys(l), s.Cache.Values(l), att, s.Scores,
                new AttentionShape(T, H, KV, D, s.Cache.Capacity, start, start + T, Causal: true));
            layer.OProj.Forward(att, h, T, a);
            TensorPrimitives.Add(x, h, x);

            // --- MLP block: x = x + down_proj(silu(gate_proj(h)) * up_proj(h)), h = post_attention_layernorm(x)
            RmsNorm.Forward(x, layer.PostAttentionLayerNorm, eps, h);
            layer.GateProj.Forward(h, gate, T, a);
            layer.UpProj.Forward(h, up, T, a);
            Activations.SiluMul(gate, up);
            layer.DownProj.Forward(gate, h, T, a);
            TensorPrimitives.Add(x, h, x);
        }
        s.Cache.Length = start + T;
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
            fused.AddTo(att, w[3], x);
            RmsNorm.Forward(x, layer.PostAttentionLayerNorm, eps, h);
            fused.SwiGlu(h, w[4], w[5], act);
            fused.AddTo(act, w[6], x);
        }
        s.Cache.Length = start + 1;

        RmsNorm.Forward(x, Norm, eps, h);
        fused.Store(h, s.LmHeadOperand, logits[..V]);
    }
}
