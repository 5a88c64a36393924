// Qwen3ForCausalLM / Qwen3Model (modeling_qwen3.py): explicit head_dim (often ≠ hidden/heads), RMSNorm q_norm/k_norm over head_dim
// before RoPE, and one attention_bias flag for all four projections.
namespace RagTune.Engine.Models;

public sealed class Qwen3Config : DecoderConfig
{
    public bool AttentionBias { get; }

    internal Qwen3Config(JsonFields f, string architecture) : base(f, architecture, tieByDefault: false)
    {
        AttentionBias = f.Bool("attention_bias", false);
    }

    public override bool QkvBias => AttentionBias;
    public override bool OutputBias => AttentionBias;
    public override bool QkNorm => true;
}
