// Options for pulling a checkpoint from the Hugging Face Hub (or a mirror that mimics its API).
namespace RagTune.Engine.Hub;

public sealed class HubPullOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <summary>Hub base URL; null means the HF_ENDPOINT environment variable, else https://huggingface.co.</summary>
    public string? Endpoint { get; set; }

    /// <summary>Access token sent as "Authorization: Bearer"; null means the HF_TOKEN environment variable.</summary>
    public string? Token { get; set; }

    /// <summary>Branch, tag or commit.</summary>
    public string Revision { get; set; } = "main";

    /// <summary>Root of the model cache; null means RAGTUNE_CACHE, else ~/.cache/ragtune/models.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Extra glob patterns to download besides what inference needs (`*` stays within a folder, `**` crosses folders).</summary>
    public IList<string> Include { get; set; } = [];

    /// <summary>Glob patterns never downloaded; they win over the defaults and <see cref="Include"/>.</summary>
    public IList<string> Exclude { get; set; } = [];

    /// <summary>How often a failed request or an interrupted transfer is retried (resuming where it stopped).</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>First retry delay; it doubles on each further retry, up to 30 seconds.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>A transfer that delivers no bytes for this long is treated as dropped and resumed.</summary>
    public TimeSpan ReadTimeout { get; set; } = TimeSpan.FromSeconds(60);

    internal string ResolveEndpoint()
    {
        string endpoint = Endpoint ?? Environment.GetEnvironmentVariable("HF_ENDPOINT") ?? DefaultEndpoint;
        if (string.IsNullOrWhiteSpace(endpoint))
            endpoint = DefaultEndpoint;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new EngineException($"Hub endpoint '{endpoint}' is not an http(s) URL");
        return endpoint.TrimEnd('/');
    }

    internal string? ResolveToken()
    {
        string? token = Token ?? Environment.GetEnvironmentVariable("HF_TOKEN") ?? Environment.GetEnvironmentVariable("HUGGING_FACE_HUB_TOKEN");
        return string.IsNullOrWhiteSpace(token) ? null : token.Trim();
    }

    internal string ResolveCacheDirectory()
    {
        string? root = CacheDirectory ?? Environment.GetEnvironmentVariable("RAGTUNE_CACHE");
        if (string.IsNullOrWhiteSpace(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ragtune", "models");
        return Path.GetFullPath(root);
    }
}
