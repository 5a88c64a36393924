// Settings of a RagChatClient: the prompt contract, how many passages, the system prompt, citations and the sources footer.
namespace RagTune.Knowledge.Rag;

public sealed record RagChatClientOptions
{
    /// <summary>The prompt the generator was trained on (RagPromptFormat.LoadBeside its model or data).</summary>
    public RagPromptFormat Format { get; init; } = RagPromptFormat.Default;

    /// <summary>Passages put in the prompt.</summary>
    public int TopK { get; init; } = 4;

    /// <summary>System message added when the conversation has none; null = the format's (none by default).</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>Passages cited when the answer quotes nothing.</summary>
    public int FallbackCitations { get; init; } = 2;

    /// <summary>Append a "Sources" list to the answer text (citations are always in <see cref="RagContent"/>).</summary>
    public bool SourcesFooter { get; init; }

    public string SourcesHeading { get; init; } = "Sources";
}
