// A served model name whose requests go on to another served model or rag:<kb>, chosen per request by an intent router:
// a IntentRoutingChatClient over the targets' served clients (each still behind its own queue); the choice is reported as `route`.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Routing;

namespace RagTune.Server.Models;

public sealed class RouterPipeline : IChatPipeline
{
    /// <param name="targets">Every target the router may choose, the default included, by served name.</param>
    public RouterPipeline(string name, IIntentRouter router, string defaultTarget, IReadOnlyDictionary<string, IChatPipeline> targets)
    {
        Name = name;
        Client = new IntentRoutingChatClient(targets[defaultTarget].ServedClient, router,
            targets.Where(t => t.Key != defaultTarget).Select(t => new ChatRoute(t.Key, t.Value.ServedClient)),
            new IntentRoutingChatClientOptions { DefaultRoute = defaultTarget });
    }

    public string Name { get; }
    public string Kind => "router";

    /// <summary>Routes between the targets' served clients (which admit each request to their model's queue).</summary>
    public IntentRoutingChatClient Client { get; }

    public IChatClient ServedClient => Client;

    public IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options, CancellationToken cancellationToken) =>
        ModelPipeline.StreamAsync(ServedClient, messages, options, cancellationToken);
}
