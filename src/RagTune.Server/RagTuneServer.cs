// Builds the server: Kestrel on the given URLs, the OpenAI-compatible API (/v1), the web UI and its JSON (/, /ui, /api),
// API-key checks, CORS (closed unless origins are configured), body-size limits and OpenAI-shaped errors.
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using RagTune.Server.Api;
using RagTune.Server.Security;
using RagTune.Server.Ui;

namespace RagTune.Server;

public static class RagTuneServer
{
    /// <summary>Loads every model and knowledge base, then returns the application ready to <c>StartAsync</c>/<c>RunAsync</c>.</summary>
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
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.SetMinimumLevel(logLevel);
        builder.WebHost.UseUrls([.. urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            k.AddServerHeader = false;
        });
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<ServerStats>();
        if (options.CorsOrigins.Count > 0)
            builder.Services.AddCors(c => c.AddDefaultPolicy(p => p.WithOrigins([.. options.CorsOrigins]).AllowAnyHeader().AllowAnyMethod()));

        var app = builder.Build();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        if (options.CorsOrigins.Count > 0) app.UseCors();
        app.UseMiddleware<ApiKeyMiddleware>((IReadOnlyList<string>)options.ApiKeys);
        app.MapPost("/v1/chat/completions", (HttpContext http, ServerStats stats) => ChatCompletionsEndpoint.HandleAsync(http, registry, options, stats));
        app.MapPost("/v1/embeddings", (HttpContext http) => EmbeddingsEndpoint.HandleAsync(http, registry, options));
        app.MapGet("/v1/models", (HttpContext http) => Json.WriteAsync(http, new
        {
            @object = "list",
            data = registry.List().Select(m => new { id = m.Name, @object = "model", created = 0, owned_by = "ragtune", kind = m.Kind, parent = m.Parent, root = m.Root }),
        }));
        app.MapGet("/v1/models/{**id}", (HttpContext http, string id) =>
        {
            var m = registry.List().FirstOrDefault(x => x.Name == id);
            if (m.Name is null) throw ApiException.NotFound($"The model '{id}' does not exist", "model");
            return Json.WriteAsync(http, new { id = m.Name, @object = "model", created = 0, owned_by = "ragtune", kind = m.Kind, parent = m.Parent, root = m.Root });
        });
        UiEndpoints.Map(app, registry, options);
        app.MapFallback((HttpContext http) => throw new ApiException(404, $"no route {http.Request.Method} {http.Request.Path}", "invalid_request_error", "not_found"));
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
