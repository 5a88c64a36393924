// Registers the RagTune server in any ASP.NET Core app's services: its options, the served models and knowledge bases
// (ModelRegistry) and the request statistics; app.MapRagTune() then mounts the endpoints.
using RagTune.Server;
using RagTune.Server.Configuration;
using RagTune.Server.Models;

namespace Microsoft.Extensions.DependencyInjection;

public static class RagTuneServiceCollectionExtensions
{
    /// <summary>Serves what <paramref name="options"/> configures (with <paramref name="live"/> objects in place of loading
    /// some). The models and knowledge bases load when first resolved — <c>MapRagTune</c> resolves them, so a bad
    /// configuration fails while the app is being built — and are disposed with the app's services.</summary>
    public static IServiceCollection AddRagTuneServer(this IServiceCollection services, ServerOptions options, ServerServices? live = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        // Start-up work on the thread that builds the app: ASP.NET Core has no synchronisation context to deadlock on.
        return Add(services, options, _ => ModelRegistry.CreateAsync(options, live).GetAwaiter().GetResult());
    }

    /// <summary>Serves an already loaded <paramref name="registry"/>; the app's services dispose it with the app.</summary>
    public static IServiceCollection AddRagTuneServer(this IServiceCollection services, ModelRegistry registry, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        return Add(services, options, _ => registry);
    }

    private static IServiceCollection Add(IServiceCollection services, ServerOptions options, Func<IServiceProvider, ModelRegistry> registry)
    {
        ServerOptionsLoader.Validate(options);
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace)) throw new ServerException("serve: an API key is empty; expected non-empty keys");
        services.AddSingleton(options);
        services.AddSingleton(registry);
        services.AddSingleton<ServerStats>();
        if (options.CorsOrigins.Count > 0)
            services.AddCors(c => c.AddPolicy(RagTuneServer.CorsPolicy, p => p.WithOrigins([.. options.CorsOrigins]).AllowAnyHeader().AllowAnyMethod()));
        return services;
    }
}
