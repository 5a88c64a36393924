// LLaMA-3 / 3.1 Instruct: "<|begin_of_text|>" then "<|start_header_id|>{role}<|end_header_id|>\n\n{content|trim}<|eot_id|>"
// per message, "<|start_header_id|>assistant<|end_header_id|>\n\n" as the generation prompt. 3.1 always opens with a system
// block holding "Cutting Knowledge Date: December 2023\nToday Date: {date}\n\n" before the (trimmed) system message.
namespace RagTune.Engine.Chat;

public sealed class Llama3ChatTemplate : ChatTemplate
{
    private readonly bool _cuttingKnowledgeBlock;

    /// <param name="cuttingKnowledgeBlock">LLaMA-3.1's system block with the knowledge and today dates.</param>
    public Llama3ChatTemplate(bool cuttingKnowledgeBlock)
    {
        _cuttingKnowledgeBlock = cuttingKnowledgeBlock;
        StopTokens = cuttingKnowledgeBlock ? ["<|eot_id|>", "<|end_of_text|>", "<|eom_id|>"] : ["<|eot_id|>", "<|end_of_text|>"];
    }

    public override string Name => _cuttingKnowledgeBlock ? "llama3.1" : "llama3";

    public override IReadOnlyList<string> StopTokens { get; }

    private protected override void RenderCore(System.Text.StringBuilder sb, IReadOnlyList<ChatTurn> messages, ChatTemplateOptions options)
    {
        sb.Append("<|begin_of_text|>");
        int first = 0;
        if (_cuttingKnowledgeBlock)
        {
            string system = "";
            if (messages[0].Role == "system")
            {
                system = messages[0].Content.Trim(PythonWhitespace);
                first = 1;
            }
            sb.Append("<|start_header_id|>system<|end_header_id|>\n\n")
              .Append("Cutting Knowledge Date: December 2023\n")
              .Append("Today Date: ").Append(options.DateString).Append("\n\n")
              .Append(system).Append("<|eot_id|>");
        }
        for (int i = first; i < messages.Count; i++)
        {
            var m = messages[i];
            // 3.1 renders tool results as JSON-quoted "ipython" turns; RagTune does not do tool calling.
            if (_cuttingKnowledgeBlock && m.Role is "tool" or "ipython") throw Unsupported(m.Role, i, "system, user or assistant; tool calling is not supported");
            sb.Append("<|start_header_id|>").Append(m.Role).Append("<|end_header_id|>\n\n")
              .Append(m.Content.Trim(PythonWhitespace)).Append("<|eot_id|>");
        }
        if (options.AddGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
    }
}
