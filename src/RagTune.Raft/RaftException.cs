// The one exception type of the RAFT layer: bad input files, refused runs, teacher failures after every retry.
namespace RagTune.Raft;

/// <summary>Raised for any RAFT-layer failure; the message names the file/field/endpoint, what was found and what was expected.</summary>
public sealed class RaftException : Exception
{
    public RaftException(string message) : base(message) { }

    public RaftException(string message, Exception inner) : base(message, inner) { }
}
