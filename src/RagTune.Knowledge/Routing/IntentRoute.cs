// A route as a router sees it: the name it answers with and, for routers that ask a model, what the route is for.
namespace RagTune.Knowledge.Routing;

/// <param name="Name">Unique among the routes of one routing client or retriever; what routers answer with.</param>
/// <param name="Description">What the route answers (e.g. "questions about the HR handbook"), shown to a model that picks
/// the route; null = the name alone.</param>
public sealed record IntentRoute(string Name, string? Description = null);
