// One generation request: sampling, limits, stop conditions and the LoRA adapters it runs with.
using RagTune.Engine.Models;

namespace RagTune.Engine.Generation;

public sealed record GenerationOptions
{
    public SamplingOptions Sampling { get; init; } = new();

    /// <summary>The most tokens to generate.</summary>
    public int MaxTokens { get; init; } = 256;

    /// <summary>Token ids that end generation (not emitted). Null means the model's own end-of-sequence ids
    /// (generation_config.json, config.json, the tokenizer's EOS).</summary>
    public IReadOnlyList<int>? StopTokenIds { get; init; }

    /// <summary>Strings that end generation, matched on the decoded text; the stop string itself is not emitted.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>LoRA adapters applied (unmerged) to this request's projections; null runs the base model. The shared model
    /// is not changed, so requests with different adapters run on it at the same time.</summary>
    public AdapterSet? Adapters { get; init; }

    /// <summary>A prompt-tuning adapter whose virtual tokens run before the prompt (PEFT's PROMPT_TUNING), or null.</summary>
    public PromptTuning? PromptTuning { get; init; }

    /// <summary>Decode special tokens (e.g. &lt;|im_start|&gt;) into the text instead of dropping them.</summary>
    public bool IncludeSpecialTokens { get; init; }
}
