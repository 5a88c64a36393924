// Turns every failure of a request into OpenAI's error JSON with the right status; a client disconnect is not an error.
// Server folders never reach a client: an internal error's message names files by their names only.
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RagTune.Engine;

namespace RagTune.Server.Api;

public sealed partial class ErrorHandlingMiddleware(RequestDelegate next, ILogger<ErrorHandlingMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext http)
    {
        try
        {
            await next(http).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; generation has stopped. Nothing to answer.
        }
        catch (Exception e)
        {
            // Messages from inside the server (engine, I/O) may name its files: the client sees their names only.
            string message = WithoutFolders(e.Message);
            var error = e switch
            {
                ApiException a => a,
                BadHttpRequestException { StatusCode: 413 } => new ApiException(413, message, "invalid_request_error", "request_too_large"),
                BadHttpRequestException b => new ApiException(b.StatusCode, message),
                ArgumentException or EngineException => ApiException.BadRequest(message),
                _ => new ApiException(500, "internal server error: " + message, "server_error"),
            };
            if (error.Status >= 500) logger.LogError(e, "request {Path} failed", http.Request.Path);
            if (http.Response.HasStarted)
            {
                // Mid-stream: the status is gone; an SSE error event is all a client can still see.
                if (http.Response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) == true)
                    await http.Response.WriteAsync("data: " + JsonSerializer.Serialize(Body(error), Json.Options) + "\n\n").ConfigureAwait(false);
                return;
            }
            await WriteAsync(http, error).ConfigureAwait(false);
        }
    }

    /// <summary>Shortens every absolute path in <paramref name="message"/> (/a/b/c, C:\\a\\b) to its last part.</summary>
    public static string WithoutFolders(string message) => AbsolutePath().Replace(message, m => m.Groups["name"].Value);

    [GeneratedRegex(@"(?<![\w:/.~\\-])(?:/(?:[^\s'""/:,;()\[\]]+/)+|[A-Za-z]:\\(?:[^\s'""\\:,;()\[\]]+\\)*)(?<name>[^\s'""/\\:,;()\[\]]*)")]
    private static partial Regex AbsolutePath();

    public static Task WriteAsync(HttpContext http, ApiException error)
    {
        if (error.RetryAfterSeconds is { } s) http.Response.Headers.RetryAfter = s.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Json.WriteAsync(http, Body(error), error.Status);
    }

    private static object Body(ApiException e) => new { error = new { message = e.Message, type = e.Type, param = e.Param, code = e.Code } };
}
