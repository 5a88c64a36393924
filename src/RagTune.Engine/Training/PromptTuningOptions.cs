// Settings of a prompt-tuning run, named after PEFT's PromptTuningConfig.
namespace RagTune.Engine.Training;

public sealed record PromptTuningOptions
{
    /// <summary>num_virtual_tokens: embeddings put before every example.</summary>
    public int NumVirtualTokens { get; init; } = 20;

    /// <summary>prompt_tuning_init_text: initialise from this text's token embeddings (PromptTuningInit.TEXT); null draws
    /// them from N(0, 1) (RANDOM).</summary>
    public string? InitText { get; init; }
}
