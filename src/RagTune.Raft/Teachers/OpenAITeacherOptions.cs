// Settings for a teacher behind an OpenAI-compatible chat-completions endpoint (Ollama, vLLM, LM Studio, DeepSeek, DashScope, OpenAI).
namespace RagTune.Raft.Teachers;

public sealed class OpenAITeacherOptions
{
    /// <summary>Environment variables read, in order, when <see cref="ApiKey"/> is not set.</summary>
    public static readonly string[] ApiKeyVariables = ["RAGTUNE_TEACHER_API_KEY", "OPENAI_API_KEY"];

    /// <summary>Base URL including the version path, e.g. http://localhost:11434/v1. Null = api.openai.com.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>API key; null = read from <see cref="ApiKeyVariables"/>. Local servers that ignore keys get a placeholder.</summary>
    public string? ApiKey { get; set; }

    public string Model { get; set; } = "";

    /// <summary>Use server-sent-event streaming (with stream_options.include_usage, which the SDK sets).</summary>
    public bool Stream { get; set; }

    /// <summary>Resolves the key: option, then the environment, then a placeholder for non-OpenAI endpoints.</summary>
    public string ResolveApiKey()
    {
        if (!string.IsNullOrWhiteSpace(ApiKey))
            return ApiKey!;
        foreach (var name in ApiKeyVariables)
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } v)
                return v;
        if (Endpoint is null)
            throw new RaftException($"no API key for api.openai.com: set --api-key or one of {string.Join(", ", ApiKeyVariables)}");
        // Ollama, vLLM and LM Studio accept any key, but the SDK requires a non-empty one.
        return "unused";
    }
}
