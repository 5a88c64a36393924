// Clean-up shared by the parsers of chat-model replies: drop reasoning blocks (Qwen3/DeepSeek "<think>…</think>").
using System.Text.RegularExpressions;

namespace RagTune.Knowledge.Search;

internal static partial class ModelReply
{
    /// <summary>The reply without complete think blocks, and without everything up to a dangling closing tag.</summary>
    public static string StripReasoning(string reply)
    {
        string text = ThinkBlock().Replace(reply, " ");
        int close = text.LastIndexOf("</think>", StringComparison.OrdinalIgnoreCase);
        return close >= 0 ? text[(close + "</think>".Length)..] : text;
    }

    [GeneratedRegex(@"<think>.*?</think>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex ThinkBlock();
}
