// Mounts the RagTune server in any ASP.NET Core app: the OpenAI-compatible API (/v1), the web UI and its JSON (/, /ui, /api,
// /files), with OpenAI-shaped errors, API-key checks and CORS on those endpoints only — the app's own endpoints keep theirs.
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using RagTune.Server;
using RagTune.Server.Api;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using RagTune.Server.Security;
using RagTune.Server.Ui;

namespace Microsoft.AspNetCore.Builder;

public static class RagTuneApplicationExtensions
{
    /// <summary>Maps the endpoints of the server registered with <c>services.AddRagTuneServer(...)</c> (loading its models
    /// and knowledge bases now, if not yet loaded).</summary>
    /// <exception cref="ServerException">Bad configuration (a model, adapter or knowledge base that cannot be served).</exception>
    public static TApp MapRagTune<TApp>(this TApp app) where TApp : IApplicationBuilder, IEndpointRouteBuilder
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ServiceProvider.GetService<ServerOptions>()
            ?? throw new ServerException("MapRagTune: the RagTune server is not registered; call services.AddRagTuneServer(...) first");
        var registry = app.ServiceProvider.GetRequiredService<ModelRegistry>();

        // Routing has chosen the endpoint by now: RagTune's middleware runs for RagTune's endpoints alone.
        app.UseWhen(http => http.GetEndpoint()?.Metadata.GetMetadata<RagTuneEndpointMetadata>() is not null, branch =>
        {
            branch.UseMiddleware<ErrorHandlingMiddleware>();
            if (options.CorsOrigins.Count > 0) branch.UseCors(RagTuneServer.CorsPolicy);
            branch.UseMiddleware<ApiKeyMiddleware>((IReadOnlyList<string>)options.ApiKeys);
        });

        var group = app.MapGroup("").WithMetadata(RagTuneEndpointMetadata.Instance);
        if (options.CorsOrigins.Count > 0) group.RequireCors(RagTuneServer.CorsPolicy);
        group.MapPost("/v1/chat/completions", (HttpContext http, ServerStats stats) => ChatCompletionsEndpoint.HandleAsync(http, registry, options, stats));
        group.MapPost("/v1/embeddings", (HttpContext http) => EmbeddingsEndpoint.HandleAsync(http, registry, options));
        group.MapGet("/v1/models", (HttpContext http) => Json.WriteAsync(http, new
        {
            @object = "list",
            data = registry.List().Select(m => new { id = m.Name, @object = "model", created = 0, owned_by = "ragtune", kind = m.Kind, parent = m.Parent, root = m.Root }),
        }));
        group.MapGet("/v1/models/{**id}", (HttpContext http, string id) =>
        {
            var m = registry.List().FirstOrDefault(x => x.Name == id);
            if (m.Name is null) throw ApiException.NotFound($"The model '{id}' does not exist", "model");
            return Json.WriteAsync(http, new { id = m.Name, @object = "model", created = 0, owned_by = "ragtune", kind = m.Kind, parent = m.Parent, root = m.Root });
        });
        UiEndpoints.Map(group, registry, options);
        return app;
    }
}
