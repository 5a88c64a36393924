// An error answered to an HTTP client in OpenAI's shape {"error": {"message", "type", "param", "code"}} with a status code.
namespace RagTune.Server;

public sealed class ApiException : Exception
{
    public ApiException(int status, string message, string type = "invalid_request_error", string? code = null, string? param = null)
        : base(message)
    {
        Status = status;
        Type = type;
        Code = code;
        Param = param;
    }

    public int Status { get; }
    public string Type { get; }
    public string? Code { get; }
    public string? Param { get; }

    /// <summary>Seconds a client should wait before retrying (429 only).</summary>
    public int? RetryAfterSeconds { get; init; }

    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, "invalid_request_error", code, param);

    public static ApiException NotFound(string message, string? param = null) => new(404, message, "invalid_request_error", "model_not_found", param);
}
