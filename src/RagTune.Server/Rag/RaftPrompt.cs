// The prompt a RAFT student was trained on: "<DOCUMENT>d</DOCUMENT>\n" per passage, then the question (gorilla raft.py).
using System.Text;

namespace RagTune.Server.Rag;

public static class RaftPrompt
{
    public static string Build(IEnumerable<string> documents, string question)
    {
        var sb = new StringBuilder();
        foreach (string d in documents) sb.Append("<DOCUMENT>").Append(d).Append("</DOCUMENT>\n");
        return sb.Append(question).ToString();
    }
}
