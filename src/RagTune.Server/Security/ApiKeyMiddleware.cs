// Requires "Authorization: Bearer <key>" on the API (/v1, /api) when keys are configured; the static UI pages are public
// (they hold no data; the UI sends the key the user typed).
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using RagTune.Server.Api;

namespace RagTune.Server.Security;

public sealed class ApiKeyMiddleware(RequestDelegate next, IReadOnlyList<string> keys)
{
    private readonly byte[][] _keys = keys.Select(Encoding.UTF8.GetBytes).ToArray();

    public Task InvokeAsync(HttpContext http)
    {
        var path = http.Request.Path;
        bool protectedPath = path.StartsWithSegments("/v1") || path.StartsWithSegments("/api") || path.StartsWithSegments("/files");
        if (_keys.Length == 0 || !protectedPath || HttpMethods.IsOptions(http.Request.Method)) return next(http);
        string header = http.Request.Headers.Authorization.ToString();
        string? given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        // Files opened in a new tab (reports, loss curves) cannot carry a header; they may pass the key as ?key=.
        if (given is null && path.StartsWithSegments("/files")) given = http.Request.Query["key"].ToString();
        if (given is { Length: > 0 } && Accepted(Encoding.UTF8.GetBytes(given))) return next(http);
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return ErrorHandlingMiddleware.WriteAsync(http, new ApiException(401,
            given is null ? "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'." : "Incorrect API key provided.",
            "invalid_request_error", "invalid_api_key"));
    }

    private bool Accepted(byte[] given) => _keys.Any(k => CryptographicOperations.FixedTimeEquals(k, given));
}
