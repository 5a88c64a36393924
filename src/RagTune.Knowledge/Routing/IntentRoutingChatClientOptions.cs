// Settings of a IntentRoutingChatClient: the name (and description) of its inner client as a route.
namespace RagTune.Knowledge.Routing;

public sealed record IntentRoutingChatClientOptions
{
    /// <summary>The inner client's route name: where a message goes when no router decides, or when it has no user turn.</summary>
    public string DefaultRoute { get; init; } = "default";

    /// <summary>What the inner client answers, shown to a model that picks routes; null = the name alone.</summary>
    public string? DefaultDescription { get; init; }
}
