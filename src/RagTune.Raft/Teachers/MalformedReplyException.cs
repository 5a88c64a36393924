// A teacher reply that arrived (HTTP 200) but is not a chat completion: a body that is not an event stream, truncated
// JSON, "choices": []. Retryable like a 5xx — never a finished answer with no content.
namespace RagTune.Raft.Teachers;

/// <summary>Thrown by <see cref="ChatClientTeacher"/> when the server's reply cannot be read; <see cref="ResilientTeacher"/>
/// retries it and, when the attempts are spent, raises a <see cref="RaftException"/> naming the endpoint and model.</summary>
public sealed class MalformedReplyException : Exception
{
    public MalformedReplyException(string message) : base(message) { }

    public MalformedReplyException(string message, Exception inner) : base(message, inner) { }
}
