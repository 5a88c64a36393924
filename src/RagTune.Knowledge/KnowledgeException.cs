// The knowledge layer's one exception type: its message names the file/field, what was found and what was expected.
namespace RagTune.Knowledge;

public sealed class KnowledgeException : Exception
{
    public KnowledgeException(string message) : base(message) { }
    public KnowledgeException(string message, Exception inner) : base(message, inner) { }
}
