// Qwen2 / Qwen2.5 ChatML: "<|im_start|>{role}\n{content}<|im_end|>\n" per message, a default system message when the
// first message is not a system one (Qwen2.5: "You are Qwen, created by Alibaba Cloud. …", Qwen2: "You are a helpful
// assistant."), and "<|im_start|>assistant\n" as the generation prompt. Qwen2.5 also folds tool results into user turns.
// InternLM2-chat's template is the same ChatML after "{{ bos_token }}" (its BOS text comes first).
namespace RagTune.Engine.Chat;

public sealed partial class ChatMlTemplate : ChatTemplate
{
    public const string Qwen25DefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
    public const string Qwen2DefaultSystem = "You are a helpful assistant.";

    private readonly bool _groupToolResponses;

    /// <param name="defaultSystem">Inserted as the system message when the first message is not one; null for none.</param>
    /// <param name="groupToolResponses">Qwen2.5's handling of "tool" messages (and only its four roles accepted).</param>
    /// <param name="bosToken">Text rendered before everything (a template that opens with {{ bos_token }}); null for none.</param>
    public ChatMlTemplate(string name, string? defaultSystem, bool groupToolResponses, string? bosToken = null)
    {
        Name = name;
        DefaultSystem = defaultSystem;
        _groupToolResponses = groupToolResponses;
        BosToken = bosToken;
    }

    /// <summary>Qwen2.5-Instruct's template.</summary>
    public static ChatMlTemplate Qwen25 { get; } = new("qwen2.5", Qwen25DefaultSystem, groupToolResponses: true);

    /// <summary>Qwen2-Instruct's template.</summary>
    public static ChatMlTemplate Qwen2 { get; } = new("qwen2", Qwen2DefaultSystem, groupToolResponses: false);

    /// <summary>Recognises the default system message and tool handling that a ChatML chat_template text carries, and a
    /// leading {{ bos_token }} (InternLM2-chat), rendered as <paramref name="bosToken"/>.</summary>
    public static ChatMlTemplate FromTemplateText(string templateText, string? bosToken = null, string source = "chat_template")
    {
        if (BosPrefix().IsMatch(templateText))
            return bosToken is null
                ? throw new EngineException($"{source}: the chat_template starts with {{{{ bos_token }}}}, and the tokenizer has no bos_token")
                : new("internlm2", null, groupToolResponses: false, bosToken);
        bool tools = templateText.Contains("<tool_response>", StringComparison.Ordinal);
        if (templateText.Contains(Qwen25DefaultSystem, StringComparison.Ordinal)) return new("qwen2.5", Qwen25DefaultSystem, tools);
        if (templateText.Contains(Qwen2DefaultSystem, StringComparison.Ordinal)) return new("qwen2", Qwen2DefaultSystem, tools);
        return new("chatml", null, tools);
    }

    public override string Name { get; }

    public string? DefaultSystem { get; }

    /// <summary>The BOS text the template opens with, or null.</summary>
    public string? BosToken { get; }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*\{\{-?\s*bos_token\s*-?\}\}")]
    private static partial System.Text.RegularExpressions.Regex BosPrefix();

    public override IReadOnlyList<string> StopTokens { get; } = ["<|im_end|>", "<|endoftext|>"];

    private protected override void RenderCore(System.Text.StringBuilder sb, IReadOnlyList<ChatTurn> messages, ChatTemplateOptions options)
    {
        sb.Append(BosToken);
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
