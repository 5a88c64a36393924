// Settings of the OpenAI-compatible embeddings client (OpenAI, Ollama, vLLM, …).
namespace RagTune.Knowledge.Embeddings;

public sealed record OpenAIEmbeddingGeneratorOptions
{
    /// <summary>The model name the server knows, e.g. "text-embedding-3-small", "bge-m3", "nomic-embed-text".</summary>
    public required string Model { get; init; }

    /// <summary>Base address including the version path, e.g. http://localhost:11434/v1; null means api.openai.com.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The key; when null it is read from <see cref="ApiKeyEnvironmentVariable"/>.</summary>
    public string? ApiKey { get; init; }

    public string ApiKeyEnvironmentVariable { get; init; } = "OPENAI_API_KEY";

    /// <summary>Requested output size (only models that support shortening honour it); null leaves it to the server.</summary>
    public int? Dimensions { get; init; }

    /// <summary>Inputs per HTTP request; OpenAI accepts up to 2048, local servers often prefer fewer.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Per-request network timeout; null keeps the SDK's default.</summary>
    public TimeSpan? NetworkTimeout { get; init; }
}
