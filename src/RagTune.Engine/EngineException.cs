// The engine's one exception type: its message names the file/field, what was found and what was expected.
namespace RagTune.Engine;

public sealed class EngineException : Exception
{
    public EngineException(string message) : base(message) { }
    public EngineException(string message, Exception inner) : base(message, inner) { }
}
