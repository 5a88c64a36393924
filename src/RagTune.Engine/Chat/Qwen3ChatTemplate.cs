// Qwen3's ChatML template: no default system message; assistant turns before the last user query lose their
// <think>…</think> reasoning, turns after it keep it (re-rendered as "<think>\n{reasoning}\n</think>\n\n{answer}");
// enable_thinking=false adds an empty think block after the generation prompt. Tool results fold into user turns.
namespace RagTune.Engine.Chat;

public sealed class Qwen3ChatTemplate : ChatTemplate
{
    public override string Name => "qwen3";

    public override IReadOnlyList<string> StopTokens { get; } = ["<|im_end|>", "<|endoftext|>"];

    private protected override void RenderCore(System.Text.StringBuilder sb, IReadOnlyList<ChatTurn> messages, ChatTemplateOptions options)
    {
        if (messages[0].Role == "system")
            sb.Append("<|im_start|>system\n").Append(messages[0].Content).Append("<|im_end|>\n");

        // The last user message that is a real query (not a wrapped tool response), scanning from the end.
        int lastQuery = messages.Count - 1;
        for (int i = messages.Count - 1; i >= 0; i--)
        {
            string c = messages[i].Content;
            if (messages[i].Role == "user"
                && !(c.StartsWith("<tool_response>", StringComparison.Ordinal) && c.EndsWith("</tool_response>", StringComparison.Ordinal)))
            {
                lastQuery = i;
                break;
            }
        }

        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            switch (m.Role)
            {
                case "system" when i == 0:
                    break;
                case "user" or "system":
                    sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
                    break;
                case "assistant":
                    AppendAssistant(sb, m.Content, keepReasoning: i > lastQuery, isLast: i == messages.Count - 1);
                    break;
                case "tool":
                    AppendToolResponse(sb, messages, i);
                    break;
                default:
                    throw Unsupported(m.Role, i);
            }
        }
        if (options.AddGenerationPrompt)
        {
            sb.Append("<|im_start|>assistant\n");
            if (options.EnableThinking == false) sb.Append("<think>\n\n</think>\n\n");
        }
    }

    private static void AppendAssistant(System.Text.StringBuilder sb, string content, bool keepReasoning, bool isLast)
    {
        // reasoning = content.split('</think>')[0].rstrip('\n').split('<think>')[-1].lstrip('\n')
        // content   = content.split('</think>')[-1].lstrip('\n')
        string reasoning = "";
        int close = content.IndexOf("</think>", StringComparison.Ordinal);
        if (close >= 0)
        {
            string before = content[..close].TrimEnd('\n');
            int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
            reasoning = (open < 0 ? before : before[(open + "<think>".Length)..]).TrimStart('\n');
            content = content[(content.LastIndexOf("</think>", StringComparison.Ordinal) + "</think>".Length)..].TrimStart('\n');
        }
        sb.Append("<|im_start|>assistant\n");
        if (keepReasoning && (isLast || reasoning.Length > 0))
            sb.Append("<think>\n").Append(reasoning.Trim('\n')).Append("\n</think>\n\n").Append(content.TrimStart('\n'));
        else
            sb.Append(content);
        sb.Append("<|im_end|>\n");
    }
}
