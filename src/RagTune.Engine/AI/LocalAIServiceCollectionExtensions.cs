// Dependency-injection registration of the local chat client and embedding generator as Microsoft.Extensions.AI
// services. The model loads once, on first resolution, and the singleton is shared (both types are thread-safe).
using Microsoft.Extensions.AI;
using RagTune.Engine.AI;

namespace Microsoft.Extensions.DependencyInjection;

public static class LocalAIServiceCollectionExtensions
{
    /// <summary>Registers <see cref="IChatClient"/> (and <see cref="LocalChatClient"/>) over the decoder checkpoint in
    /// <paramref name="modelDirectory"/>.</summary>
    public static IServiceCollection AddLocalChatClient(this IServiceCollection services, string modelDirectory,
        LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        services.AddSingleton(_ => LocalChatClient.Load(modelDirectory, options));
        services.AddSingleton<IChatClient>(sp => sp.GetRequiredService<LocalChatClient>());
        return services;
    }

    /// <summary>Registers a keyed <see cref="IChatClient"/>, for applications that serve several local models.</summary>
    public static IServiceCollection AddKeyedLocalChatClient(this IServiceCollection services, object serviceKey, string modelDirectory,
        LocalChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(serviceKey);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        services.AddKeyedSingleton<IChatClient>(serviceKey, (_, _) => LocalChatClient.Load(modelDirectory, options));
        return services;
    }

    /// <summary>Registers <see cref="IEmbeddingGenerator{String, Embedding}"/> (and <see cref="LocalEmbeddingGenerator"/>)
    /// over the encoder checkpoint in <paramref name="modelDirectory"/>.</summary>
    public static IServiceCollection AddLocalEmbeddingGenerator(this IServiceCollection services, string modelDirectory, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelDirectory);
        services.AddSingleton(_ => LocalEmbeddingGenerator.Load(modelDirectory, modelId));
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => sp.GetRequiredService<LocalEmbeddingGenerator>());
        return services;
    }
}
