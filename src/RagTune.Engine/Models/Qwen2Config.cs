// Qwen2ForCausalLM (transformers' modeling_qwen2.py): q/k/v projections always carry a bias, o_proj never does.
namespace RagTune.Engine.Models;

public sealed class Qwen2Config : DecoderConfig
{
    internal Qwen2Config(JsonFields f) : base(f, "Qwen2ForCausalLM", tieByDefault: false) { }

    public override bool QkvBias => true;
    public override bool OutputBias => false;
}
