// The variables a Hugging Face chat template is rendered with besides the messages (apply_chat_template's kwargs).
namespace RagTune.Engine.Chat;

public sealed record ChatTemplateOptions
{
    /// <summary>End with the header that opens the assistant's turn (add_generation_prompt).</summary>
    public bool AddGenerationPrompt { get; init; } = true;

    /// <summary>Qwen3's enable_thinking: false opens the answer with an empty &lt;think&gt; block; null (undefined) and
    /// true leave the model to think. Templates without thinking ignore it.</summary>
    public bool? EnableThinking { get; init; }

    /// <summary>LLaMA-3.1's date_string ("Today Date: …" in its system block); the template's own default.</summary>
    public string DateString { get; init; } = "26 Jul 2024";
}
