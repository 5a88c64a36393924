// Minimal chat formatting for the supported families, written out rather than interpreted from the Jinja template:
// Qwen ChatML (with Qwen3's <think> handling) and LLaMA-3 headers. No default system prompt is inserted.
// A full chat_template interpreter is a later piece of work; this covers the prompts the student models are trained on.
using RagTune.Engine.Tokenizers;

namespace RagTune.Engine.Generation;

public enum ChatFormat
{
    /// <summary>&lt;|im_start|&gt;role\ncontent&lt;|im_end|&gt;\n (Qwen2, Qwen2.5, Qwen3).</summary>
    ChatMl,

    /// <summary>&lt;|start_header_id|&gt;role&lt;|end_header_id|&gt;\n\ncontent&lt;|eot_id|&gt; after &lt;|begin_of_text|&gt;.</summary>
    Llama3,
}

public sealed record ChatTurn(string Role, string Content);

public static class ChatTemplate
{
    /// <summary>Picks the format from the special tokens the tokenizer knows.</summary>
    public static ChatFormat Detect(ITokenizer tokenizer)
    {
        if (tokenizer.TokenToId("<|im_start|>") is not null && tokenizer.TokenToId("<|im_end|>") is not null) return ChatFormat.ChatMl;
        if (tokenizer.TokenToId("<|start_header_id|>") is not null && tokenizer.TokenToId("<|eot_id|>") is not null) return ChatFormat.Llama3;
        throw new EngineException("the tokenizer has neither ChatML (<|im_start|>, <|im_end|>) nor LLaMA-3 (<|start_header_id|>, <|eot_id|>) "
            + "special tokens, so no chat format applies; pass a plain prompt instead");
    }

    /// <summary>Formats the conversation. With <paramref name="enableThinking"/> false, a Qwen3-style empty think block
    /// opens the assistant turn (what Qwen3's template does for enable_thinking=False); null leaves it out.
    /// Reasoning (&lt;think&gt;…&lt;/think&gt;) in earlier assistant turns is dropped, as Qwen3's template does.</summary>
    public static string Format(ChatFormat format, IEnumerable<ChatTurn> turns, bool addGenerationPrompt = true, bool? enableThinking = null)
    {
        var sb = new System.Text.StringBuilder();
        if (format == ChatFormat.Llama3) sb.Append("<|begin_of_text|>");
        foreach (var turn in turns)
        {
            string content = turn.Role == "assistant" ? StripThinking(turn.Content) : turn.Content;
            if (format == ChatFormat.ChatMl)
                sb.Append("<|im_start|>").Append(turn.Role).Append('\n').Append(content).Append("<|im_end|>\n");
            else
                sb.Append("<|start_header_id|>").Append(turn.Role).Append("<|end_header_id|>\n\n").Append(content.Trim()).Append("<|eot_id|>");
        }
        if (addGenerationPrompt)
        {
            if (format == ChatFormat.ChatMl)
            {
                sb.Append("<|im_start|>assistant\n");
                if (enableThinking == false) sb.Append("<think>\n\n</think>\n\n");
            }
            else
                sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        }
        return sb.ToString();
    }

    /// <summary>The end-of-turn token id of the format (generation should stop on it).</summary>
    public static int? EndOfTurnId(ChatFormat format, ITokenizer tokenizer) =>
        tokenizer.TokenToId(format == ChatFormat.ChatMl ? "<|im_end|>" : "<|eot_id|>");

    private static string StripThinking(string content)
    {
        int end = content.LastIndexOf("</think>", StringComparison.Ordinal);
        return end < 0 ? content : content[(end + "</think>".Length)..].TrimStart('\n');
    }
}
