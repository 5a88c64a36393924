// Base models that ship no chat template (GPT-2): every message's content on a line of its own, an assistant turn closed by
// the tokenizer's end-of-text token instead — the "question\nanswer<|endoftext|>" layout GPT-2 fine-tuning tutorials train
// on. There are no role markers; system and user text are prompt lines, and nothing is added as a generation prompt.
namespace RagTune.Engine.Chat;

public sealed class PlainTextTemplate : ChatTemplate
{
    private readonly string _endOfText;

    /// <param name="endOfText">The tokenizer's eos token text (GPT-2: &lt;|endoftext|&gt;).</param>
    public PlainTextTemplate(string endOfText)
    {
        ArgumentException.ThrowIfNullOrEmpty(endOfText);
        _endOfText = endOfText;
        StopTokens = [endOfText];
    }

    public override string Name => "plain";

    public override IReadOnlyList<string> StopTokens { get; }

    private protected override void RenderCore(System.Text.StringBuilder sb, IReadOnlyList<ChatTurn> messages, ChatTemplateOptions options)
    {
        foreach (var m in messages)
            sb.Append(m.Content).Append(m.Role == "assistant" ? _endOfText : "\n");
    }
}
