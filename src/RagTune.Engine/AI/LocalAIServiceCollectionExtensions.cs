// Dependency-injection registration of the local chat client and embedding generator as Microsoft.Extensions.AI
// services. The model loads once, on first resolution, and the singleton is shared (both types are thread-safe); the chat
// client comes back as a ChatClientBuilder so callers compose a pipeline over it.
using Microsoft.Extensions.AI;
using RagTune.Engine.AI;

namespace Microsoft.Extensions.DependencyInjection;

public static class LocalAIServiceCollectionExtensions
{
    /// <summary>Registers <see cref="LocalChatClient"/> over the decoder checkpoint in <paramref name="modelDirectory"/> and
    /// <see cref="IChatClient"/> as the pipeline built on it; add steps to the returned builder (e.g.
    /// <c>.UseLogging()</c>, <c>.ConfigureOptions(…)</c>, RagTune's <c>.UseResilience()</c>).</summary>
    public static ChatClientBuilder AddLocalChatClient(this IServiceCollection services, string modelDirectory,
        LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        services.AddSingleton(_ => LocalChatClient.Load(modelDirectory, options));
        return services.AddChatClient(sp => sp.GetRequiredService<LocalChatClient>());
    }

    /// <summary>Registers a keyed <see cref="IChatClient"/> pipeline over a local checkpoint, for applications that serve
    /// several local models.</summary>
    public static ChatClientBuilder AddKeyedLocalChatClient(this IServiceCollection services, object serviceKey, string modelDirectory,
        LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        return services.AddKeyedChatClient(serviceKey, _ => LocalChatClient.Load(modelDirectory, options));
    }

    /// <summary>Registers <see cref="IEmbeddingGenerator{String, Embedding}"/> (and <see cref="LocalEmbeddingGenerator"/>)
    /// over the embedding model in <paramref name="modelDirectory"/> (an encoder, a decoder embedder or a LoRA adapter folder).</summary>
    public static IServiceCollection AddLocalEmbeddingGenerator(this IServiceCollection services, string modelDirectory, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        services.AddSingleton(_ => LocalEmbeddingGenerator.Load(modelDirectory, modelId));
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<LocalEmbeddingGenerator>());
        return services;
    }
}
