// The evaluation layer's one exception type: its message names the file/field, what was found and what was expected.
namespace RagTune.Eval;

public sealed class EvalException : Exception
{
    public EvalException(string message) : base(message) { }
    public EvalException(string message, Exception inner) : base(message, inner) { }
}
