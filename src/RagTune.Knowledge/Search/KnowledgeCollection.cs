// A named, described collection that a router can pick: its own hybrid searcher over its own indexes.
namespace RagTune.Knowledge.Search;

/// <param name="Name">Unique among the collections given to one router; what routers answer with.</param>
/// <param name="Description">What the collection holds, in words a model (or a person writing rules) can match against.</param>
public sealed record KnowledgeCollection(string Name, string Description, HybridSearcher Searcher);
