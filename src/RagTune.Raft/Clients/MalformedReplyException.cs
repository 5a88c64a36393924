// A reply that arrived but cannot be read as a chat completion: a transient failure that resilience retries, never an answer.
namespace RagTune.Raft.Clients;

/// <summary>Thrown for a reply that is not a chat completion (truncated or invalid JSON, no choices, a 200 whose body is
/// not an event stream); <see cref="ResilientChatClient"/> retries it like a 5xx.</summary>
public sealed class MalformedReplyException : Exception
{
    public MalformedReplyException(string message) : base(message) { }

    public MalformedReplyException(string message, Exception inner) : base(message, inner) { }
}
