// `ragtune serve`'s host: Kestrel on the given URLs with body-size limits, AddRagTuneServer + MapRagTune (the OpenAI-compatible
// API, the web UI, API-key checks, CORS, OpenAI-shaped errors), and a 404 in OpenAI's shape for every other path.
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RagTune.Server.Configuration;
using RagTune.Server.Models;

namespace RagTune.Server;

public static class RagTuneServer
{
    /// <summary>The CORS policy AddRagTuneServer registers (from <see cref="ServerOptions.CorsOrigins"/>) and MapRagTune applies.</summary>
    public const string CorsPolicy = "RagTune";

    /// <summary>Loads every model and knowledge base, then returns the application ready to <c>StartAsync</c>/<c>RunAsync</c>;
    /// disposing it disposes them.</summary>
    /// <exception cref="ServerException">Bad configuration, or no API key on a non-loopback address without <see cref="ServerOptions.Insecure"/>.</exception>
    public static async Task<WebApplication> BuildAsync(ServerOptions options, IReadOnlyList<string> urls, ServerServices? services = null,
        LogLevel logLevel = LogLevel.Warning, CancellationToken cancellationToken = default)
    {
        ServerOptionsLoader.Validate(options);
        if (urls.Count == 0) throw new ServerException("serve: no listening address; expected e.g. http://127.0.0.1:8000");
        foreach (string url in urls)
        {
            if (!IsLoopback(url) && options.ApiKeys.Count == 0 && !options.Insecure)
                throw new ServerException($"serve: '{url}' is reachable beyond this machine and no API key is configured; set api keys (--api-key or api_keys) or pass --insecure");
        }
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace)) throw new ServerException("serve: an API key is empty; expected non-empty keys");

        var registry = await ModelRegistry.CreateAsync(options, services, cancellationToken).ConfigureAwait(false);
        WebApplicationBuilder builder;
        try
        {
            builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Services.AddRagTuneServer(registry, options);
        }
        catch
        {
            await registry.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        builder.Logging.SetMinimumLevel(logLevel);
        builder.WebHost.UseUrls([.. urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        app.MapRagTune();
        // The stand-alone server answers every other path too, in OpenAI's error shape.
        app.MapFallback((HttpContext http) => throw new ApiException(404, $"no route {http.Request.Method} {http.Request.Path}", "invalid_request_error", "not_found"))
            .WithMetadata(RagTuneEndpointMetadata.Instance);
        return app;
    }

    /// <summary>True when every address the URL can bind is this machine's loopback.</summary>
    public static bool IsLoopback(string url)
    {
        if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0").Replace("://+", "://0.0.0.0"), UriKind.Absolute, out var uri))
            throw new ServerException($"serve: '{url}' is not a URL; expected e.g. http://127.0.0.1:8000");
        if (uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
    }
}
