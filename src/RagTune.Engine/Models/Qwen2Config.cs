// Qwen2ForCausalLM / Qwen2Model (transformers' modeling_qwen2.py): q/k/v projections always carry a bias, o_proj never does.
namespace RagTune.Engine.Models;

public sealed class Qwen2Config : DecoderConfig
{
    internal Qwen2Config(JsonFields f, string architecture) : base(f, architecture, tieByDefault: false) { }

    public override bool QkvBias => true;
    public override bool OutputBias => false;
}
