// The error type of the server layer: bad configuration or a server that must not start (e.g. no API key on a public address).
namespace RagTune.Server;

public sealed class ServerException : Exception
{
    public ServerException(string message) : base(message) { }

    public ServerException(string message, Exception inner) : base(message, inner) { }
}
