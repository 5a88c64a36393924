// A route of a RoutedRetriever: one knowledge base (or any retriever) a question can be sent to.
using RagTune.Knowledge.Rag;

namespace RagTune.Knowledge.Routing;

/// <param name="Name">The route name routers answer with; recorded in each passage's <see cref="RetrievedPassage.KnowledgeBase"/>.</param>
/// <param name="Retriever">Searches this knowledge base, e.g. a <see cref="KnowledgeBaseRetriever"/>.</param>
/// <param name="Description">What the knowledge base holds, shown to a model that picks routes; null = the name alone.</param>
public sealed record RetrievalRoute(string Name, IRagRetriever Retriever, string? Description = null);
