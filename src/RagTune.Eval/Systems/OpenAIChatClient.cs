// A minimal IChatClient over any OpenAI-compatible /chat/completions endpoint (OpenAI, vLLM, Ollama, LM Studio) through
// the official OpenAI SDK — Microsoft.Extensions.AI.OpenAI is not available to this project, so this is the bridge.
using System.ClientModel;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;
using SdkChatMessage = OpenAI.Chat.ChatMessage;

namespace RagTune.Eval.Systems;

public sealed class OpenAIChatClient : IChatClient
{
    private readonly ChatClient _client;
    private readonly ChatClientMetadata _metadata;

    /// <param name="model">Model name as the server knows it.</param>
    /// <param name="endpoint">Base URL including /v1 (null: api.openai.com).</param>
    /// <param name="apiKey">Key; null reads $OPENAI_API_KEY, and local servers that ignore keys get a placeholder.</param>
    /// <param name="clientOptions">SDK options (retry policy, timeout, transport); its Endpoint is overridden by <paramref name="endpoint"/>.</param>
    public OpenAIChatClient(string model, Uri? endpoint = null, string? apiKey = null, OpenAIClientOptions? clientOptions = null)
    {
        if (string.IsNullOrWhiteSpace(model)) throw new EvalException("OpenAI-compatible client: model name is empty; expected e.g. qwen2.5:7b");
        clientOptions ??= new OpenAIClientOptions();
        if (endpoint is not null) clientOptions.Endpoint = endpoint;
        var key = apiKey ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY");
        _client = new ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(key) ? "not-needed" : key), clientOptions);
        _metadata = new ChatClientMetadata("openai-compatible", clientOptions.Endpoint ?? endpoint, model);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var result = await _client.CompleteChatAsync(ToSdk(messages), ToSdk(options), cancellationToken).ConfigureAwait(false);
        var completion = result.Value;
        var text = string.Concat(completion.Content.Select(p => p.Text));
        return new ChatResponse(new AiChatMessage(AiChatRole.Assistant, text))
        {
            ModelId = completion.Model,
            ResponseId = completion.Id,
            FinishReason = completion.FinishReason switch
            {
                OpenAI.Chat.ChatFinishReason.Stop => Microsoft.Extensions.AI.ChatFinishReason.Stop,
                OpenAI.Chat.ChatFinishReason.Length => Microsoft.Extensions.AI.ChatFinishReason.Length,
                OpenAI.Chat.ChatFinishReason.ContentFilter => Microsoft.Extensions.AI.ChatFinishReason.ContentFilter,
                _ => null,
            },
            Usage = completion.Usage is { } u ? new UsageDetails { InputTokenCount = u.InputTokenCount, OutputTokenCount = u.OutputTokenCount, TotalTokenCount = u.TotalTokenCount } : null,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        await foreach (var update in _client.CompleteChatStreamingAsync(ToSdk(messages), ToSdk(options), cancellationToken).ConfigureAwait(false))
        {
            var text = string.Concat(update.ContentUpdate.Select(p => p.Text));
            if (text.Length > 0) yield return new ChatResponseUpdate(AiChatRole.Assistant, text) { ModelId = update.Model };
        }
    }

    private static List<SdkChatMessage> ToSdk(IEnumerable<AiChatMessage> messages) => messages.Select(m =>
        m.Role == AiChatRole.System ? new SystemChatMessage(m.Text) :
        m.Role == AiChatRole.Assistant ? new AssistantChatMessage(m.Text) :
        (SdkChatMessage)new UserChatMessage(m.Text)).ToList();

    private static ChatCompletionOptions ToSdk(ChatOptions? options)
    {
        var o = new ChatCompletionOptions();
        if (options is null) return o;
        o.Temperature = options.Temperature;
        o.TopP = options.TopP;
        o.MaxOutputTokenCount = options.MaxOutputTokens;
        o.FrequencyPenalty = options.FrequencyPenalty;
        o.PresencePenalty = options.PresencePenalty;
        if (options.StopSequences is { } stops)
            foreach (var s in stops) o.StopSequences.Add(s);
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; servers that ignore it are unaffected.
        o.Seed = options.Seed;
#pragma warning restore OPENAI001
        return o;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(ChatClient)) return _client;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() { }
}
