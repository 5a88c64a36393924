// LlamaForCausalLM / LlamaModel (modeling_llama.py): attention_bias covers q/k/v/o, mlp_bias covers gate/up/down; rope_scaling
// "llama3" and "linear" are read by the base class.
namespace RagTune.Engine.Models;

public sealed class LlamaConfig : DecoderConfig
{
    public bool AttentionBias { get; }
    public bool MlpBiasFlag { get; }

    internal LlamaConfig(JsonFields f, string architecture) : base(f, architecture, tieByDefault: false)
    {
        AttentionBias = f.Bool("attention_bias", false);
        MlpBiasFlag = f.Bool("mlp_bias", false);
        if (f.Int("pretraining_tp", 1) != 1)
            throw f.Invalid("pretraining_tp", f.Int("pretraining_tp", 1), "1 (tensor-parallel slicing is a training artefact)");
    }

    public override bool QkvBias => AttentionBias;
    public override bool OutputBias => AttentionBias;
    public override bool MlpBias => MlpBiasFlag;
}
