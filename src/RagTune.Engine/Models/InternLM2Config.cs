// InternLM2ForCausalLM (internlm2-chat's modeling_internlm2.py, remote code): a LLaMA-shaped decoder with its own tensor
// names — tok_embeddings, attention_norm, the packed attention.wqkv (grouped layout, see PackedQkv), attention.wo,
// ffn_norm, feed_forward.w1 (gate) / w3 (up) / w2 (down), output — and one `bias` flag for wqkv and wo (default true).
// rope_scaling {type: dynamic|linear, factor} is read by the base class.
namespace RagTune.Engine.Models;

public sealed class InternLM2Config : DecoderConfig
{
    public bool Bias { get; }

    internal InternLM2Config(JsonFields f, string architecture) : base(f, architecture, tieByDefault: false)
    {
        Bias = f.Bool("bias", true);
        if (f.Has("head_dim") && f.Int("head_dim") != HiddenSize / NumAttentionHeads)
            throw f.Invalid("head_dim", f.Int("head_dim"), $"hidden_size / num_attention_heads = {HiddenSize / NumAttentionHeads} (InternLM2 derives it)");
        QkvLayout = PackedQkv.Grouped(NumAttentionHeads, NumKeyValueHeads, HeadDim);
    }

    public override bool QkvBias => Bias;
    public override bool OutputBias => Bias;
    public override PackedQkv QkvLayout { get; }

    public override DecoderTensorNames Names { get; } = new()
    {
        EmbedTokens = "tok_embeddings", InputNorm = "attention_norm", Qkv = "attention.wqkv", OProj = "attention.wo",
        PostNorm = "ffn_norm", GateProj = "feed_forward.w1", UpProj = "feed_forward.w3", DownProj = "feed_forward.w2",
        FinalNorm = "norm", LmHead = "output",
    };
}
