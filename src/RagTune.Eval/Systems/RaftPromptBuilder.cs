// Builds RAFT-style prompts: each document as `<DOCUMENT>…</DOCUMENT>` on its own line, then the question — the
// instruction format RAFT training rows use (FORMATS.md), so a RAFT-tuned student sees at test time what it saw in training.
using System.Text;

namespace RagTune.Eval.Systems;

public static class RaftPromptBuilder
{
    public static string Build(IEnumerable<string> documents, string question, string? instruction = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        ArgumentNullException.ThrowIfNull(question);
        var sb = new StringBuilder();
        foreach (var d in documents)
            sb.Append("<DOCUMENT>").Append(d).Append("</DOCUMENT>\n");
        sb.Append(question);
        if (!string.IsNullOrEmpty(instruction)) sb.Append('\n').Append(instruction);
        return sb.ToString();
    }
}
