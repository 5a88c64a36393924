// Qwen2 / Qwen2.5 ChatML: "<|im_start|>{role}\n{content}<|im_end|>\n" per message, a default system message when the
// first message is not a system one (Qwen2.5: "You are Qwen, created by Alibaba Cloud. …", Qwen2: "You are a helpful
// assistant."), and "<|im_start|>assistant\n" as the generation prompt. Qwen2.5 also folds tool results into user turns.
namespace RagTune.Engine.Chat;

public sealed class ChatMlTemplate : ChatTemplate
{
    public const string Qwen25DefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    public const string Qwen2DefaultSystem = "You are a helpful assistant.";

    private readonly bool _groupToolResponses;

    /// <param name="defaultSystem">Inserted as the system message when the first message is not one; null for none.</param>
    /// <param name="groupToolResponses">Qwen2.5's handling of "tool" messages (and only its four roles accepted).</param>
    public ChatMlTemplate(string name, string? defaultSystem, bool groupToolResponses)
    {
        Name = name;
        DefaultSystem = defaultSystem;
        _groupToolResponses = groupToolResponses;
    }

    /// <summary>Qwen2.5-Instruct's template.</summary>
    public static ChatMlTemplate Qwen25 { get; } = new("qwen2.5", Qwen25DefaultSystem, groupToolResponses: true);

    /// <summary>Qwen2-Instruct's template.</summary>
    public static ChatMlTemplate Qwen2 { get; } = new("qwen2", Qwen2DefaultSystem, groupToolResponses: false);

    /// <summary>Recognises the default system message and tool handling that a ChatML chat_template text carries.</summary>
    public static ChatMlTemplate FromTemplateText(string templateText)
    {
        bool tools = templateText.Contains("<tool_response>", StringComparison.Ordinal);
        if (templateText.Contains(Qwen25DefaultSystem, StringComparison.Ordinal)) return new("qwen2.5", Qwen25DefaultSystem, tools);
        if (templateText.Contains(Qwen2DefaultSystem, StringComparison.Ordinal)) return new("qwen2", Qwen2DefaultSystem, tools);
        return new("chatml", null, tools);
    }

    public override string Name { get; }

    public string? DefaultSystem { get; }

    public override IReadOnlyList<string> StopTokens { get; } = ["<|im_end|>", "<|endoftext|>"];

    private protected override void RenderCore(System.Text.StringBuilder sb, IReadOnlyList<ChatTurn> messages, ChatTemplateOptions options)
    {
        if (DefaultSystem is not null && messages[0].Role != "system")
            sb.Append("<|im_start|>system\n").Append(DefaultSystem).Append("<|im_end|>\n");
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (_groupToolResponses && m.Role == "tool")
                AppendToolResponse(sb, messages, i);
            else if (_groupToolResponses && m.Role is not ("system" or "user" or "assistant"))
                throw Unsupported(m.Role, i);
            else
                sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        }
        if (options.AddGenerationPrompt) sb.Append("<|im_start|>assistant\n");
    }
}
