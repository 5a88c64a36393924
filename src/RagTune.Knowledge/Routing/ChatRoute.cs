// A route of a IntentRoutingChatClient: the chat client (a model, a RAG client, any pipeline) that answers the messages routed to it.
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Routing;

/// <param name="Name">The route name routers answer with; recorded in the response.</param>
/// <param name="Client">Answers the messages routed here; owned by the caller (never disposed by the routing client).</param>
/// <param name="Description">What the route answers, shown to a model that picks routes; null = the name alone.</param>
public sealed record ChatRoute(string Name, IChatClient Client, string? Description = null);
