// The hyper-parameters every Llama-family decoder (LLaMA, Qwen2, Qwen3) shares; subclasses read their family's extra
// fields and say which optional tensors (q/k/v/o biases, MLP biases, q/k norms) the architecture has.
namespace RagTune.Engine.Models;

public abstract class DecoderConfig : ModelConfig
{
    public int NumKeyValueHeads { get; }
    public int HeadDim { get; }
    public int IntermediateSize { get; }
    public double RopeTheta { get; }
    public double RmsNormEps { get; }
    public bool TieWordEmbeddings { get; }
    public RopeScaling? RopeScaling { get; }
    public int? BosTokenId { get; }
    public int[] EosTokenIds { get; }

    /// <summary>q_proj, k_proj and v_proj carry a bias.</summary>
    public abstract bool QkvBias { get; }

    /// <summary>o_proj carries a bias.</summary>
    public abstract bool OutputBias { get; }

    /// <summary>gate_proj, up_proj and down_proj carry a bias.</summary>
    public virtual bool MlpBias => false;

    /// <summary>The architecture has a language-model head (…ForCausalLM); the bare decoders (Qwen2Model, Qwen3Model,
    /// LlamaModel — how decoder embedders are saved) have none, and load only as embedding models.</summary>
    public bool HasLmHead => Architecture.EndsWith("ForCausalLM", StringComparison.Ordinal) || Architecture.EndsWith("LMHeadModel", StringComparison.Ordinal);

    /// <summary>RMSNorm over head_dim on every query and key head before RoPE (Qwen3).</summary>
    public virtual bool QkNorm => false;

    /// <summary>The most positions a sequence may hold: max_position_embeddings, times the factor with dynamic NTK RoPE
    /// (which exists to stretch the trained length; transformers sets no limit, this keeps the factor's intent).</summary>
    public int ContextLength => RopeScaling is { Type: "dynamic" } s ? (int)Math.Min(int.MaxValue, MaxPositionEmbeddings * s.Factor) : MaxPositionEmbeddings;

    /// <summary>Where the checkpoint keeps each tensor (LLaMA's names unless the architecture has its own).</summary>
    public virtual DecoderTensorNames Names => DecoderTensorNames.Llama;

    /// <summary>The column layout of the packed q/k/v projection (<see cref="DecoderTensorNames.Qkv"/>), or null when q, k
    /// and v are separate projections.</summary>
    public virtual PackedQkv? QkvLayout => null;

    /// <summary>LayerNorm with a bias (GPT-2) instead of RMSNorm, for every norm; RmsNormEps is then its epsilon.</summary>
    public virtual bool LayerNormWithBias => false;

    /// <summary>Learned absolute position embeddings (<see cref="DecoderTensorNames.PositionEmbeddings"/>) instead of RoPE.</summary>
    public bool LearnedPositions => Names.PositionEmbeddings is not null;

    /// <summary>Projection weights are stored [in, out] (GPT-2's Conv1D): transposed at load and at save.</summary>
    public virtual bool Conv1DWeights => false;

    /// <param name="activations">The hidden_act values the MLP implements (silu for SwiGLU).</param>
    /// <param name="intermediateFallback">intermediate_size when the config leaves it out or null (GPT-2's n_inner: 4·C).</param>
    private protected DecoderConfig(JsonFields f, string architecture, bool tieByDefault, string[]? activations = null,
        int? intermediateFallback = null) : base(f, architecture)
    {
        NumKeyValueHeads = Positive(f, "num_key_value_heads", NumAttentionHeads);
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw f.Invalid("num_key_value_heads", NumKeyValueHeads, $"a divisor of num_attention_heads ({NumAttentionHeads})");
        if (!f.Has("head_dim") && HiddenSize % NumAttentionHeads != 0)
            throw f.Invalid("hidden_size", HiddenSize, $"a multiple of num_attention_heads ({NumAttentionHeads}) when head_dim is absent");
        HeadDim = Positive(f, "head_dim", HiddenSize / NumAttentionHeads);
        if (HeadDim % 2 != 0) throw f.Invalid("head_dim", HeadDim, "an even number (RoPE rotates pairs)");
        IntermediateSize = intermediateFallback is int fallback ? Positive(f, "intermediate_size", fallback) : Positive(f, "intermediate_size");
        RopeTheta = f.Double("rope_theta", 10000.0);
        RmsNormEps = f.Double("rms_norm_eps", 1e-6);
        TieWordEmbeddings = f.Bool("tie_word_embeddings", tieByDefault);
        RopeScaling = RopeScaling.Read(f);
        BosTokenId = f.Has("bos_token_id") ? f.Int("bos_token_id") : null;
        EosTokenIds = f.IntList("eos_token_id");
        activations ??= ["silu"];
        if (!activations.Contains(HiddenAct))
            throw f.Invalid("hidden_act", $"\"{HiddenAct}\"", string.Join(" or ", activations.Select(a => $"\"{a}\""))
                + (activations[0] == "silu" ? " (the SwiGLU MLP of this family)" : ""));
        if (f.Bool("use_sliding_window", false))
            throw f.Invalid("use_sliding_window", true, "false (sliding-window attention is not supported)");
    }

    public override IReadOnlyList<TensorSpec> ExpectedTensors()
    {
        long c = HiddenSize, q = NumAttentionHeads * HeadDim, kv = NumKeyValueHeads * HeadDim, i = IntermediateSize;
        var n = Names;
        var list = new List<TensorSpec> { new("model." + n.EmbedTokens + ".weight", [VocabSize, c]) };
        for (int l = 0; l < NumHiddenLayers; l++)
        {
            string p = $"model.layers.{l}.";
            list.Add(new(p + n.InputNorm + ".weight", [c]));
            if (n.Qkv is not null)
                AddLinear(list, p + n.Qkv, q + 2 * kv, c, QkvBias);
            else
            {
                AddLinear(list, p + n.QProj, q, c, QkvBias);
                AddLinear(list, p + n.KProj, kv, c, QkvBias);
                AddLinear(list, p + n.VProj, kv, c, QkvBias);
            }
            AddLinear(list, p + n.OProj, c, q, OutputBias);
            if (QkNorm)
            {
                list.Add(new(p + n.QNorm + ".weight", [HeadDim]));
                list.Add(new(p + n.KNorm + ".weight", [HeadDim]));
            }
            list.Add(new(p + n.PostNorm + ".weight", [c]));
            AddLinear(list, p + n.GateProj, i, c, MlpBias);
            AddLinear(list, p + n.UpProj, i, c, MlpBias);
            AddLinear(list, p + n.DownProj, c, i, MlpBias);
        }
        list.Add(new("model." + n.FinalNorm + ".weight", [c]));
        if (!TieWordEmbeddings && HasLmHead)
            list.Add(new(n.LmHead + ".weight", [VocabSize, c]));
        return list;
    }

    internal static void AddLinear(List<TensorSpec> list, string module, long outFeatures, long inFeatures, bool bias)
    {
        list.Add(new(module + ".weight", [outFeatures, inFeatures]));
        if (bias) list.Add(new(module + ".bias", [outFeatures]));
    }
}
