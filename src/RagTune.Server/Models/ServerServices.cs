// Live objects a host (or a test) hands to the server instead of loading them from the configured paths.
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Rag;
using RagTune.Knowledge.Routing;

namespace RagTune.Server.Models;

public sealed class ServerServices
{
    /// <summary>Chat clients by model name; a configured model with this name uses the client and ignores its path.</summary>
    public Dictionary<string, IChatClient> ChatClients { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, IEmbeddingGenerator<string, Embedding<float>>> EmbeddingGenerators { get; } = new(StringComparer.Ordinal);

    /// <summary>Retrievers by knowledge base name, used instead of opening the knowledge base directory.</summary>
    public Dictionary<string, IRagRetriever> Retrievers { get; } = new(StringComparer.Ordinal);

    /// <summary>Intent routers by router name, used instead of the configured rules/classifier (the router's default and
    /// targets still come from the config).</summary>
    public Dictionary<string, IIntentRouter> Routers { get; } = new(StringComparer.Ordinal);
}
