// The web UI: embedded static files (/ and /ui/*) and the JSON it reads (/api/*): served models, knowledge-base search,
// RAFT datasets, evaluation reports and loss curves from the configured folders (/files/*).
using RagTune.Knowledge.Rag;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using RagTune.Knowledge.Store;
using RagTune.Server.Configuration;
using RagTune.Server.Models;
using RagTune.Server.Api;

namespace RagTune.Server.Ui;

public static class UiEndpoints
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml; charset=utf-8",
    };

    public static void Map(IEndpointRouteBuilder app, ModelRegistry registry, ServerOptions options)
    {
        var datasets = new FolderListing(options.DatasetsFolder, "*.jsonl", recursive: false);
        var reports = new FolderListing(options.ReportsFolder, "*.html", recursive: true);
        var runs = new FolderListing(options.RunsFolder, "*.svg", recursive: true);

        app.MapGet("/", (HttpContext http) => StaticAsync(http, "index.html"));
        app.MapGet("/ui/{file}", (HttpContext http, string file) => StaticAsync(http, file));

        app.MapGet("/api/info", (HttpContext http) => Json.WriteAsync(http, new
        {
            models = registry.List().Select(m => new { id = m.Name, kind = m.Kind, parent = m.Parent }),
            knowledge_bases = registry.KnowledgeBases.Keys.Order(StringComparer.Ordinal),
            auth = options.ApiKeys.Count > 0,
            datasets = datasets.Configured,
            reports = reports.Configured,
            runs = runs.Configured,
        }));

        app.MapGet("/api/kb/{name}/search", async (HttpContext http, string name) =>
        {
            if (!registry.KnowledgeBases.TryGetValue(name, out var kb))
                throw new ApiException(404, $"knowledge base '{name}' is not served", "invalid_request_error", "kb_not_found", "name");
            string q = http.Request.Query["q"].ToString();
            if (q.Length > options.MaxPromptChars) throw ApiException.BadRequest($"q holds {q.Length} characters; expected at most {options.MaxPromptChars}", "q");
            int k = int.TryParse(http.Request.Query["k"], out int kk) ? Math.Clamp(kk, 1, 50) : 10;
            string rerankText = http.Request.Query["rerank"].ToString();
            bool rerank = rerankText.Length > 0 && (bool.TryParse(rerankText, out bool r)
                ? r : throw ApiException.BadRequest($"rerank is '{rerankText}'; expected true or false", "rerank"));
            if (rerank && !kb.HasReranker)
                throw ApiException.BadRequest($"knowledge base '{name}' has no reranker; expected knowledge_bases[].reranker with rerank: true, or a knowledge base created with `ragtune kb create --reranker DIR`", "rerank");
            string hierarchicalText = http.Request.Query["hierarchical"].ToString();
            bool hierarchical = hierarchicalText.Length > 0 && (bool.TryParse(hierarchicalText, out bool h)
                ? h : throw ApiException.BadRequest($"hierarchical is '{hierarchicalText}'; expected true or false", "hierarchical"));
            if (hierarchical && kb.Options.DocumentRoute is null)
                throw ApiException.BadRequest($"knowledge base '{name}' has no document route (its kb.json has no 'document_route' field); expected a knowledge base created with `ragtune kb create --doc-route first-chunk|summary|mean`", "hierarchical");
            string docsText = http.Request.Query["docs"].ToString();
            int docs = 20;
            if (docsText.Length > 0 && (!hierarchical || !int.TryParse(docsText, out docs) || docs is < 1 or > 1000))
                throw ApiException.BadRequest(hierarchical ? $"docs is '{docsText}'; expected a whole number of documents from 1 to 1000" : "docs was given without hierarchical=true; expected hierarchical=true&docs=N", "docs");
            var hits = await kb.SearchAsync(q, new KnowledgeSearchOptions { K = k, Rerank = rerank, Hierarchical = hierarchical, Documents = docs }, http.RequestAborted).ConfigureAwait(false);
            await Json.WriteAsync(http, new
            {
                query = q,
                hits = hits.Select(h => new
                {
                    passage = KnowledgeBaseRetriever.ToPassage(h),
                    route = h.Route,
                    highlights = h.Highlights.Select(s => new[] { s.Start, s.End }),
                }),
            }).ConfigureAwait(false);
        });

        app.MapGet("/api/datasets", (HttpContext http) => Json.WriteAsync(http, new { files = datasets.List() }));
        app.MapGet("/api/datasets/{name}", async (HttpContext http, string name) =>
        {
            string path = datasets.Resolve(name) ?? throw new ApiException(404, $"dataset '{name}' is not in the datasets folder listing", "invalid_request_error", "not_found", "name");
            int offset = int.TryParse(http.Request.Query["offset"], out int o) ? Math.Max(0, o) : 0;
            int limit = int.TryParse(http.Request.Query["limit"], out int l) ? Math.Clamp(l, 1, 200) : 20;
            await Json.WriteAsync(http, await RaftDatasetReader.ReadAsync(path, name, offset, limit, http.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });

        app.MapGet("/api/reports", (HttpContext http) => Json.WriteAsync(http, new { files = reports.List() }));
        app.MapGet("/api/runs", (HttpContext http) => Json.WriteAsync(http, new { files = runs.List() }));
        app.MapGet("/files/reports/{**name}", (HttpContext http, string name) => FileAsync(http, reports, name));
        app.MapGet("/files/runs/{**name}", (HttpContext http, string name) => FileAsync(http, runs, name));
    }

    private static async Task FileAsync(HttpContext http, FolderListing listing, string name)
    {
        string path = listing.Resolve(name) ?? throw new ApiException(404, $"'{name}' is not in the folder listing", "invalid_request_error", "not_found", "name");
        http.Response.ContentType = ContentTypes[Path.GetExtension(path)];
        // Reports are other tools' HTML: no scripts from them may act on this origin.
        http.Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";
        await http.Response.SendFileAsync(path, http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task StaticAsync(HttpContext http, string file)
    {
        await using var stream = typeof(UiEndpoints).Assembly.GetManifestResourceStream("wwwroot/" + file);
        if (stream is null || !ContentTypes.TryGetValue(Path.GetExtension(file), out string? type))
            throw new ApiException(404, $"'{file}' is not part of the web UI", "invalid_request_error", "not_found");
        http.Response.ContentType = type;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'";
        await stream.CopyToAsync(http.Response.Body, http.RequestAborted).ConfigureAwait(false);
    }
}
