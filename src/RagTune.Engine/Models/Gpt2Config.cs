// GPT2LMHeadModel (transformers' modeling_gpt2.py): learned positions (wpe), LayerNorm with bias (ln_1, ln_2, ln_f), the
// packed c_attn [q | k | v], c_proj, an ungated MLP c_fc → gelu_new → c_proj, biases on every projection, Conv1D weights
// stored [in, out], lm_head tied to wte. config.json names its sizes n_embd/n_layer/n_head/n_positions/n_inner; they are
// read through transformers' attribute_map, so errors name the fields as the file spells them.
namespace RagTune.Engine.Models;

public sealed class Gpt2Config : DecoderConfig
{
    /// <summary>transformers' GPT2Config.attribute_map, plus the activation, MLP width and norm epsilon under GPT-2's names.</summary>
    internal static readonly IReadOnlyDictionary<string, string> AttributeMap = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["hidden_size"] = "n_embd",
        ["max_position_embeddings"] = "n_positions",
        ["num_attention_heads"] = "n_head",
        ["num_hidden_layers"] = "n_layer",
        ["hidden_act"] = "activation_function",
        ["intermediate_size"] = "n_inner",
        ["rms_norm_eps"] = "layer_norm_epsilon",
        // GPT-2 has no key/value grouping, explicit head_dim or RoPE: these names must not read anything.
        ["num_key_value_heads"] = "n_head",
    };

    internal Gpt2Config(JsonFields f, string architecture)
        : base(f, architecture, tieByDefault: true, activations: ["gelu_new", "gelu_pytorch_tanh"], intermediateFallback: 4 * f.Int("hidden_size"))
    {
        if (!f.Bool("scale_attn_weights", true))
            throw f.Invalid("scale_attn_weights", false, "true (attention scores divided by √head_dim)");
        if (f.Bool("scale_attn_by_inverse_layer_idx", false))
            throw f.Invalid("scale_attn_by_inverse_layer_idx", true, "false (per-layer score scaling is not supported)");
        if (f.Has("rope_scaling"))
            throw f.Invalid("rope_scaling", "set", "absent (GPT-2 has learned positions, no RoPE)");
        if (!f.Has("layer_norm_epsilon"))
            throw f.Invalid("layer_norm_epsilon", "missing", "the LayerNorm epsilon (1e-5 in GPT-2)");
        QkvLayout = PackedQkv.Contiguous(NumAttentionHeads, NumKeyValueHeads, HeadDim);
    }

    public override bool QkvBias => true;
    public override bool OutputBias => true;
    public override bool MlpBias => true;
    public override bool LayerNormWithBias => true;
    public override bool Conv1DWeights => true;
    public override PackedQkv QkvLayout { get; }

    public override DecoderTensorNames Names { get; } = new()
    {
        Backbone = "transformer.", Layers = "h", PositionEmbeddings = "wpe",
        EmbedTokens = "wte", InputNorm = "ln_1", Qkv = "attn.c_attn", OProj = "attn.c_proj",
        PostNorm = "ln_2", UpProj = "mlp.c_fc", DownProj = "mlp.c_proj", FinalNorm = "ln_f", LmHead = "lm_head",
    };

    /// <summary>GPT-2's tensors, Conv1D weights as stored: [in, out].</summary>
    public override IReadOnlyList<TensorSpec> ExpectedTensors()
    {
        long c = HiddenSize, i = IntermediateSize;
        var list = new List<TensorSpec>
        {
            new("transformer.wte.weight", [VocabSize, c]),
            new("transformer.wpe.weight", [MaxPositionEmbeddings, c]),
        };
        for (int l = 0; l < NumHiddenLayers; l++)
        {
            string p = $"transformer.h.{l}.";
            list.Add(new(p + "ln_1.weight", [c]));
            list.Add(new(p + "ln_1.bias", [c]));
            AddConv1D(list, p + "attn.c_attn", c, 3 * c);
            AddConv1D(list, p + "attn.c_proj", c, c);
            list.Add(new(p + "ln_2.weight", [c]));
            list.Add(new(p + "ln_2.bias", [c]));
            AddConv1D(list, p + "mlp.c_fc", c, i);
            AddConv1D(list, p + "mlp.c_proj", i, c);
        }
        list.Add(new("transformer.ln_f.weight", [c]));
        list.Add(new("transformer.ln_f.bias", [c]));
        if (!TieWordEmbeddings)
            list.Add(new("lm_head.weight", [VocabSize, c]));
        return list;
    }

    private static void AddConv1D(List<TensorSpec> list, string module, long inFeatures, long outFeatures)
    {
        list.Add(new(module + ".weight", [inFeatures, outFeatures]));
        list.Add(new(module + ".bias", [outFeatures]));
    }
}
