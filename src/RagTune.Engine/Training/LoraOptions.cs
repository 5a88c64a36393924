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

    /// <summary>These options for a decoder named like <paramref name="names"/>: target_modules "all" (<see cref="AllDecoderTargets"/>,
    /// what `--lora-targets all` gives) becomes every projection under that architecture's own names (InternLM2: wqkv, wo,
    /// w1, w3, w2), as PEFT's target_modules lists them; any other list is kept.</summary>
    public LoraOptions ForArchitecture(Models.DecoderTensorNames names) =>
        TargetModules.SequenceEqual(AllDecoderTargets) ? this with { TargetModules = names.ProjectionModules } : this;
}
