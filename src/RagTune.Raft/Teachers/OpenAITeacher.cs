// Teacher over any OpenAI-compatible endpoint through the official OpenAI .NET SDK; retries are left to ResilientTeacher.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace RagTune.Raft.Teachers;

/// <summary>
/// Calls /chat/completions with the SDK's <see cref="ChatClient"/>. The SDK's own retry policy is switched off
/// (<c>ClientRetryPolicy(0)</c>) so that <see cref="ResilientTeacher"/>'s policy — which honours Retry-After and counts
/// attempts — is the only one in force. Errors surface as <see cref="ClientResultException"/> for the policy to classify.
/// </summary>
public sealed class OpenAITeacher : ITeacher
{
    private readonly ChatClient _client;
    private readonly bool _stream;

    public OpenAITeacher(OpenAITeacherOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Model))
            throw new RaftException("teacher model name is empty: expected e.g. --model qwen2.5:7b");
        var clientOptions = new OpenAIClientOptions
        {
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = options.NetworkTimeout,
        };
        if (options.Endpoint is not null)
            clientOptions.Endpoint = options.Endpoint;
        _client = new ChatClient(options.Model, new ApiKeyCredential(options.ResolveApiKey()), clientOptions);
        _stream = options.Stream;
        ModelName = options.Model;
    }

    public string ModelName { get; }

    public async Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages.Select(ToSdk).ToList();
        var options = new ChatCompletionOptions { Temperature = request.Temperature, MaxOutputTokenCount = request.MaxOutputTokens };
        string content;
        string? serverReasoning = null;
        TeacherUsage usage;
        if (_stream)
        {
            var text = new StringBuilder();
            usage = default;
            await foreach (var update in _client.CompleteChatStreamingAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                foreach (var part in update.ContentUpdate)
                    text.Append(part.Text);
                if (update.Usage is { } u)
                    usage = new TeacherUsage(u.InputTokenCount, u.OutputTokenCount);
            }
            content = text.ToString();
        }
        else
        {
            var result = await _client.CompleteChatAsync(messages, options, cancellationToken).ConfigureAwait(false);
            var completion = result.Value;
            content = string.Concat(completion.Content.Select(p => p.Text));
            usage = completion.Usage is { } u ? new TeacherUsage(u.InputTokenCount, u.OutputTokenCount) : default;
            serverReasoning = ReasoningField(result.GetRawResponse().Content);
        }
        var (answer, inline) = ThinkSplitter.Split(content);
        return new TeacherReply(answer, ThinkSplitter.Merge(serverReasoning, inline), usage);
    }

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

    private static ChatMessage ToSdk(TeacherMessage m) => m.Role switch
    {
        TeacherRole.System => new SystemChatMessage(m.Content),
        TeacherRole.Assistant => new AssistantChatMessage(m.Content),
        _ => new UserChatMessage(m.Content),
    };
}
