// The IChatClient for any OpenAI-compatible /chat/completions endpoint (OpenAI, vLLM, Ollama, LM Studio, DeepSeek):
// Microsoft.Extensions.AI.OpenAI over the official SDK, with the SDK's own retries off and our reply checks on top.
using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using OpenAI;

namespace RagTune.Raft.Clients;

public static class OpenAICompatibleChatClient
{
    /// <summary>Environment variable read when no API key is given.</summary>
    public const string ApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>
    /// <c>new OpenAIClient(…).GetChatClient(model).AsIChatClient()</c> wrapped by <see cref="CompatibleReplyChatClient"/>.
    /// The SDK's retry policy is switched off unless <paramref name="clientOptions"/> sets one, so that the pipeline's
    /// <see cref="ResilientChatClient"/> (<c>UseResilience</c>) — which honours Retry-After and backs off — is the only
    /// one in force. HTTP errors surface as <see cref="ClientResultException"/> with their status and headers.
    /// </summary>
    /// <param name="model">Model name as the server knows it.</param>
    /// <param name="endpoint">Base URL including /v1 (null: api.openai.com).</param>
    /// <param name="apiKey">Key; null reads $OPENAI_API_KEY, and local servers that ignore keys get a placeholder.</param>
    /// <param name="clientOptions">SDK options (network timeout, transport); its Endpoint is overridden by <paramref name="endpoint"/>.</param>
    public static IChatClient Create(string model, Uri? endpoint = null, string? apiKey = null, OpenAIClientOptions? clientOptions = null)
    {
        if (string.IsNullOrWhiteSpace(model))
            throw new RaftException("OpenAI-compatible client: model name is empty: expected e.g. qwen2.5:7b");
        clientOptions ??= new OpenAIClientOptions();
        if (endpoint is not null)
            clientOptions.Endpoint = endpoint;
        clientOptions.RetryPolicy ??= new ClientRetryPolicy(maxRetries: 0);
        var key = apiKey ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
        // Ollama, vLLM and LM Studio accept any key, but the SDK requires a non-empty one.
        var client = new OpenAIClient(new ApiKeyCredential(string.IsNullOrEmpty(key) ? "unused" : key), clientOptions);
        return new CompatibleReplyChatClient(client.GetChatClient(model).AsIChatClient());
    }
}
