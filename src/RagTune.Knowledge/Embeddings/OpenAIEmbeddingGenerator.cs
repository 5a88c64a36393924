// IEmbeddingGenerator over the OpenAI .NET SDK's EmbeddingClient, for any server speaking POST /v1/embeddings.
// Kept instead of Microsoft.Extensions.AI.OpenAI's AsIEmbeddingGenerator because of a measured gap: M.E.AI.OpenAI 11 pairs
// vectors with inputs by array position and ignores the protocol's "index" field, so a server answering out of order
// (as FakeEmbeddingsServer does, and as the protocol allows) gets input 0 the vector of input 1; it also does not batch.
using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;
using MeaiOptions = Microsoft.Extensions.AI.EmbeddingGenerationOptions;
using SdkOptions = OpenAI.Embeddings.EmbeddingGenerationOptions;

namespace RagTune.Knowledge.Embeddings;

/// <summary>
/// Splits the inputs into batches of <see cref="OpenAIEmbeddingGeneratorOptions.BatchSize"/>, sends them in order and
/// returns one embedding per input in input order, with summed token usage. Per-call
/// <see cref="MeaiOptions.Dimensions"/> and <see cref="MeaiOptions.ModelId"/> override the options. Thread-safe.
/// </summary>
public sealed class OpenAIEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    // Ollama and vLLM ignore the key but the SDK insists on a non-empty one.
    private const string PlaceholderKey = "no-key";
    private readonly OpenAIEmbeddingGeneratorOptions _options;
    private readonly ApiKeyCredential _credential;
    private readonly OpenAIClientOptions _clientOptions;
    private readonly EmbeddingClient _client;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public OpenAIEmbeddingGenerator(OpenAIEmbeddingGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Model))
            throw new KnowledgeException("embedding options: field 'Model' is empty, expected the server's model name.");
        if (options.BatchSize < 1)
            throw new KnowledgeException($"embedding options: field 'BatchSize' is {options.BatchSize}, expected ≥ 1.");
        if (options.Dimensions is < 1)
            throw new KnowledgeException($"embedding options: field 'Dimensions' is {options.Dimensions}, expected ≥ 1 or null.");
        _options = options;
        string? key = options.ApiKey ?? Environment.GetEnvironmentVariable(options.ApiKeyEnvironmentVariable);
        if (string.IsNullOrEmpty(key))
        {
            if (options.Endpoint is null)
                throw new KnowledgeException($"embedding options: no API key (field 'ApiKey' is null and ${options.ApiKeyEnvironmentVariable} is unset), expected one for api.openai.com.");
            key = PlaceholderKey;
        }
        _credential = new ApiKeyCredential(key);
        _clientOptions = new OpenAIClientOptions();
        if (options.Endpoint is not null) _clientOptions.Endpoint = options.Endpoint;
        if (options.NetworkTimeout is { } timeout) _clientOptions.NetworkTimeout = timeout;
        _client = new EmbeddingClient(options.Model, _credential, _clientOptions);
        _metadata = new EmbeddingGeneratorMetadata("openai", options.Endpoint ?? new Uri("https://api.openai.com/v1"),
            options.Model, options.Dimensions);
    }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        MeaiOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var inputs = values.ToList();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is null) throw new ArgumentException($"input {i} is null.", nameof(values));
        }

        string model = options?.ModelId ?? _options.Model;
        var client = model == _options.Model ? _client : new EmbeddingClient(model, _credential, _clientOptions);
        var sdkOptions = new SdkOptions { Dimensions = options?.Dimensions ?? _options.Dimensions };

        var result = new GeneratedEmbeddings<Embedding<float>>(inputs.Count);
        long inputTokens = 0, totalTokens = 0;
        for (int start = 0; start < inputs.Count; start += _options.BatchSize)
        {
            var batch = inputs.GetRange(start, Math.Min(_options.BatchSize, inputs.Count - start));
            OpenAIEmbeddingCollection response;
            try
            {
                response = (await client.GenerateEmbeddingsAsync(batch, sdkOptions, cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (ClientResultException e)
            {
                throw new KnowledgeException($"embeddings endpoint {_metadata.ProviderUri}: model '{model}' returned HTTP {e.Status} for inputs {start}..{start + batch.Count - 1}: {e.Message}", e);
            }
            if (response.Count != batch.Count)
                throw new KnowledgeException($"embeddings endpoint {_metadata.ProviderUri}: returned {response.Count} embeddings for a batch of {batch.Count}, expected one per input.");

            // The protocol carries an index per item; order by it rather than trusting the array order.
            var ordered = new Embedding<float>?[batch.Count];
            foreach (var item in response)
            {
                if (item.Index < 0 || item.Index >= batch.Count || ordered[item.Index] is not null)
                    throw new KnowledgeException($"embeddings endpoint {_metadata.ProviderUri}: item index {item.Index} is out of range or repeated, expected 0..{batch.Count - 1} once each.");
                ordered[item.Index] = new Embedding<float>(item.ToFloats())
                {
                    ModelId = response.Model ?? model,
                    CreatedAt = DateTimeOffset.UtcNow,
                };
            }
            result.AddRange(ordered!);
            if (response.Usage is { } usage)
            {
                inputTokens += usage.InputTokenCount;
                totalTokens += usage.TotalTokenCount;
            }
        }
        result.Usage = new UsageDetails { InputTokenCount = inputTokens, TotalTokenCount = totalTokens };
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        if (serviceType == typeof(EmbeddingClient)) return _client;
        if (serviceType == typeof(OpenAIEmbeddingGeneratorOptions)) return _options;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() { }
}
