// The federated layer's one exception type: its message names the round, message field or file, what was found and what
// was expected (e.g. "round 3: FitIns.parameters.tensors[5] (…q_proj.lora_A.weight): expected shape [8, 896], got [8, 512]").
namespace RagTune.Federated;

public sealed class FederatedException : Exception
{
    public FederatedException(string message) : base(message) { }
    public FederatedException(string message, Exception inner) : base(message, inner) { }
}
