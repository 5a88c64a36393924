// Defaults of a LocalChatClient: what a request gets when its ChatOptions leave a knob unset.
using RagTune.Engine.Generation;
using RagTune.Engine.Models;

namespace RagTune.Engine.AI;

public sealed record LocalChatClientOptions
{
    /// <summary>The model id reported in metadata and responses; null means the Hub repository id of a
    /// `ragtune pull` folder (org/name), else the folder's name.</summary>
    public string? ModelId { get; init; }

    /// <summary>Most tokens generated when ChatOptions.MaxOutputTokens is null.</summary>
    public int DefaultMaxOutputTokens { get; init; } = 512;

    /// <summary>Sampling when ChatOptions leaves Temperature/TopP/TopK/Seed unset; the default is greedy.</summary>
    public SamplingOptions DefaultSampling { get; init; } = new();

    /// <summary>LoRA adapters every request of this client runs with (unmerged, on the shared model); null serves the base.
    /// Clients over one TextGenerator with different adapters share its weights.</summary>
    public AdapterSet? Adapters { get; init; }

    /// <summary>How concurrent requests share the model when <see cref="LocalChatClient.Load"/> creates its TextGenerator
    /// (continuous batching: the streams decode together, one pass per step); null takes the defaults. A client built over
    /// an existing TextGenerator uses that generator's.</summary>
    public BatchingOptions? Batching { get; init; }

    /// <summary>A prompt-tuning adapter (PEFT PROMPT_TUNING) whose virtual tokens every request runs before its prompt.</summary>
    public PromptTuning? PromptTuning { get; init; }

    /// <summary>Qwen3's enable_thinking for requests without ChatOptions.Reasoning; null leaves the template's default.</summary>
    public bool? EnableThinking { get; init; }

    /// <summary>With a Qwen3 template, return the model's leading &lt;think&gt;…&lt;/think&gt; block as
    /// TextReasoningContent and only the text after it as the answer (false: everything is answer text).</summary>
    public bool SeparateReasoning { get; init; } = true;
}
