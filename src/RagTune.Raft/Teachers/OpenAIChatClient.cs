// The one Microsoft.Extensions.AI IChatClient over any OpenAI-compatible /chat/completions endpoint (OpenAI, vLLM, Ollama,
// LM Studio, DeepSeek) through the official OpenAI SDK; the RAFT teacher and the evaluation's remote systems both use it.
using System.ClientModel;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using AiChatRole = Microsoft.Extensions.AI.ChatRole;
using AiFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using SdkChatMessage = OpenAI.Chat.ChatMessage;
using SdkFinishReason = OpenAI.Chat.ChatFinishReason;

namespace RagTune.Raft.Teachers;

/// <summary>
/// Microsoft.Extensions.AI.OpenAI is not available to this project, so this is the bridge. SDK errors are not wrapped:
/// a <see cref="ClientResultException"/> keeps its HTTP status and headers for callers that retry
/// (<see cref="ResilientTeacher"/>). A server's separate reasoning field (reasoning_content from DeepSeek, vLLM and Qwen;
/// reasoning from Ollama), which the SDK does not model, comes back as <see cref="TextReasoningContent"/>.
/// </summary>
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
        if (string.IsNullOrWhiteSpace(model))
            throw new RaftException("OpenAI-compatible client: model name is empty: expected e.g. qwen2.5:7b");
        clientOptions ??= new OpenAIClientOptions();
        if (endpoint is not null)
            clientOptions.Endpoint = endpoint;
        var key = apiKey ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY");
        // Ollama, vLLM and LM Studio accept any key, but the SDK requires a non-empty one.
        _client = new ChatClient(model, new ApiKeyCredential(string.IsNullOrEmpty(key) ? "unused" : key), clientOptions);
        _metadata = new ChatClientMetadata("openai-compatible", clientOptions.Endpoint ?? endpoint, model);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var result = await _client.CompleteChatAsync(ToSdk(messages), ToSdk(options), cancellationToken).ConfigureAwait(false);
        var completion = result.Value;
        var message = new AiChatMessage { Role = AiChatRole.Assistant };
        if (ReasoningField(result.GetRawResponse().Content) is { } reasoning)
            message.Contents.Add(new TextReasoningContent(reasoning));
        message.Contents.Add(new TextContent(string.Concat(completion.Content.Select(p => p.Text))));
        return new ChatResponse(message)
        {
            ModelId = completion.Model,
            ResponseId = completion.Id,
            FinishReason = ToAi(completion.FinishReason),
            Usage = completion.Usage is { } u ? Usage(u) : null,
            RawRepresentation = completion,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        await foreach (var update in _client.CompleteChatStreamingAsync(ToSdk(messages), ToSdk(options), cancellationToken).ConfigureAwait(false))
        {
            var text = string.Concat(update.ContentUpdate.Select(p => p.Text));
            var contents = new List<AIContent>();
            if (text.Length > 0)
                contents.Add(new TextContent(text));
            // With stream_options.include_usage (which the SDK sets) the last chunk carries the token counts.
            if (update.Usage is { } u)
                contents.Add(new UsageContent(Usage(u)));
            if (contents.Count == 0 && update.FinishReason is null)
                continue;
            yield return new ChatResponseUpdate(AiChatRole.Assistant, contents)
            {
                ModelId = update.Model,
                ResponseId = update.CompletionId,
                FinishReason = update.FinishReason is { } f ? ToAi(f) : null,
                RawRepresentation = update,
            };
        }
    }

    private static UsageDetails Usage(ChatTokenUsage u) =>
        new() { InputTokenCount = u.InputTokenCount, OutputTokenCount = u.OutputTokenCount, TotalTokenCount = u.TotalTokenCount };

    private static AiFinishReason? ToAi(SdkFinishReason reason) => reason switch
    {
        SdkFinishReason.Stop => AiFinishReason.Stop,
        SdkFinishReason.Length => AiFinishReason.Length,
        SdkFinishReason.ContentFilter => AiFinishReason.ContentFilter,
        SdkFinishReason.ToolCalls => AiFinishReason.ToolCalls,
        _ => null,
    };

    // The SDK does not model reasoning_content (DeepSeek, vLLM, Qwen) or reasoning (Ollama); read it from the raw JSON.
    private static string? ReasoningField(BinaryData body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (!doc.RootElement.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
                return null;
            if (!choices[0].TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
                return null;
            foreach (var name in new[] { "reasoning_content", "reasoning" })
                if (message.TryGetProperty(name, out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } s)
                    return s;
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static List<SdkChatMessage> ToSdk(IEnumerable<AiChatMessage> messages) => messages.Select(m =>
        m.Role == AiChatRole.System ? new SystemChatMessage(m.Text) :
        m.Role == AiChatRole.Assistant ? new AssistantChatMessage(m.Text) :
        (SdkChatMessage)new UserChatMessage(m.Text)).ToList();

    private static ChatCompletionOptions ToSdk(ChatOptions? options)
    {
        var o = new ChatCompletionOptions();
        if (options is null)
            return o;
        o.Temperature = options.Temperature;
        o.TopP = options.TopP;
        o.MaxOutputTokenCount = options.MaxOutputTokens;
        o.FrequencyPenalty = options.FrequencyPenalty;
        o.PresencePenalty = options.PresencePenalty;
        if (options.StopSequences is { } stops)
            foreach (var s in stops)
                o.StopSequences.Add(s);
#pragma warning disable OPENAI001 // Seed is marked experimental in the SDK; servers that ignore it are unaffected.
        o.Seed = options.Seed;
#pragma warning restore OPENAI001
        return o;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(ChatClientMetadata))
            return _metadata;
        if (serviceType == typeof(ChatClient))
            return _client;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
    }
}
