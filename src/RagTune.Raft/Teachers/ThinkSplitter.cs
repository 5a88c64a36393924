// Separates a reasoning model's <think>…</think> text from its answer so the reasoning is never taken for the answer.
using System.Text;

namespace RagTune.Raft.Teachers;

/// <summary>
/// Splits content into (answer, reasoning). Handles several think blocks, a reply that starts inside a block whose opening
/// tag was in the prompt (only "&lt;/think&gt;" present, as DeepSeek-R1/Qwen3 chat templates do), and an unclosed block
/// (a truncated reply: everything after the tag is reasoning).
/// </summary>
public static class ThinkSplitter
{
    private const string Open = "<think>";
    private const string Close = "</think>";

    public static (string Answer, string? Reasoning) Split(string content)
    {
        if (content.IndexOf(Close, StringComparison.Ordinal) < 0 && content.IndexOf(Open, StringComparison.Ordinal) < 0)
            return (content.Trim(), null);
        var answer = new StringBuilder();
        var reasoning = new List<string>();
        var pos = 0;
        var firstOpen = content.IndexOf(Open, StringComparison.Ordinal);
        var firstClose = content.IndexOf(Close, StringComparison.Ordinal);
        if (firstClose >= 0 && (firstOpen < 0 || firstClose < firstOpen))
        {
            reasoning.Add(content[..firstClose]);
            pos = firstClose + Close.Length;
        }
        while (pos < content.Length)
        {
            var open = content.IndexOf(Open, pos, StringComparison.Ordinal);
            if (open < 0)
            {
                answer.Append(content, pos, content.Length - pos);
                break;
            }
            answer.Append(content, pos, open - pos);
            var close = content.IndexOf(Close, open + Open.Length, StringComparison.Ordinal);
            if (close < 0)
            {
                reasoning.Add(content[(open + Open.Length)..]);
                break;
            }
            reasoning.Add(content[(open + Open.Length)..close]);
            pos = close + Close.Length;
        }
        var r = string.Join("\n", reasoning.Select(x => x.Trim()).Where(x => x.Length > 0));
        return (answer.ToString().Trim(), r.Length == 0 ? null : r);
    }

    /// <summary>Joins the server's separate reasoning field with reasoning found in the content.</summary>
    public static string? Merge(string? serverReasoning, string? inlineReasoning)
    {
        if (string.IsNullOrWhiteSpace(serverReasoning))
            return inlineReasoning;
        if (string.IsNullOrWhiteSpace(inlineReasoning))
            return serverReasoning.Trim();
        return serverReasoning.Trim() + "\n" + inlineReasoning;
    }
}
