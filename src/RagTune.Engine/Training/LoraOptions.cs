// LoRA hyper-parameters as PEFT's LoraConfig names them (r, lora_alpha, lora_dropout, target_modules, use_rslora).
namespace RagTune.Engine.Training;

public sealed record LoraOptions
{
    public static readonly IReadOnlyList<string> AllDecoderTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public int Rank { get; init; } = 8;
    public float Alpha { get; init; } = 16;
    public float Dropout { get; init; }
    public bool UseRsLora { get; init; }

    /// <summary>Module name suffixes (the last path component: q_proj, …, or query/key/value/dense for BERT).</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = AllDecoderTargets;

    /// <summary>PEFT's fan_in_fan_out: the base layer stores its weight [in, out] (GPT-2's Conv1D). lora_A [r, in] and
    /// lora_B [out, r] are the same either way; PEFT records the flag, and corrects it per module type when loading.</summary>
    public bool FanInFanOut { get; init; }

    /// <summary>These options for <paramref name="config"/>'s architecture: target_modules "all" (<see cref="AllDecoderTargets"/>,
    /// what `--lora-targets all` gives) becomes every projection under that architecture's own names (InternLM2: wqkv, wo,
    /// w1, w3, w2; GPT-2: c_attn, c_proj, c_fc), as PEFT's target_modules lists them, any other list is kept; fan_in_fan_out
    /// is set as PEFT sets it for the architecture's layers.</summary>
    public LoraOptions ForArchitecture(Models.DecoderConfig config) =>
        (TargetModules.SequenceEqual(AllDecoderTargets) ? this with { TargetModules = config.Names.ProjectionModules } : this)
            with { FanInFanOut = config.Conv1DWeights };
}
