// Settings of a ChatClientIntentRouter: the labels the model may answer and the chat options it is asked with.
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Routing;

public sealed record ChatClientIntentRouterOptions
{
    /// <summary>Label → route name: the model answers a label, the label picks its route (several labels may share one).
    /// Null = the routes' own names, listed with their descriptions.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>Options of the classification request (cloned per call); null = greedy, at most 16 tokens.</summary>
    public ChatOptions? ChatOptions { get; init; }
}
