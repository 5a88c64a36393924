// What Microsoft.Extensions.AI.OpenAI's chat client leaves to us with servers that are not OpenAI: Ollama's and
// OpenRouter's `reasoning` field, and replies the SDK cannot read, which must be retried rather than taken as answers.
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace RagTune.Raft.Clients;

/// <summary>
/// Sits right above <c>OpenAI.Chat.ChatClient.AsIChatClient()</c>. Microsoft.Extensions.AI.OpenAI 11 reads a separate
/// reasoning field only as <c>reasoning_content</c> (DeepSeek, vLLM, Qwen); Ollama and OpenRouter send <c>reasoning</c>,
/// which this client adds as <see cref="TextReasoningContent"/>. A reply the SDK cannot parse (invalid or truncated JSON,
/// <c>"choices": []</c>) or that carries nothing (no text and no finish reason — e.g. a 200 whose body is not an event
/// stream) becomes a <see cref="MalformedReplyException"/>, which <see cref="ResilientChatClient"/> retries.
/// </summary>
public sealed class CompatibleReplyChatClient(IChatClient innerClient) : DelegatingChatClient(innerClient)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is JsonException or ArgumentOutOfRangeException or FormatException or KeyNotFoundException
            or (InvalidOperationException and not ObjectDisposedException))
        {
            // The OpenAI SDK's reading of the body: invalid JSON, or an index into an empty "choices".
            throw new MalformedReplyException($"the reply is not a chat completion ({ex.GetType().Name}: {ex.Message}): expected a chat.completion JSON object with one choice", ex);
        }
        if (response.Messages.Count == 0 || (response.Text.Length == 0 && response.FinishReason is null && !HasReasoning(response)))
            throw new MalformedReplyException("the reply has no message, text or finish reason: expected a chat completion with one choice");
        if (!HasReasoning(response) && response.RawRepresentation is ChatCompletion completion && Reasoning(completion) is { } reasoning)
            response.Messages[^1].Contents.Insert(0, new TextReasoningContent(reasoning));
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        bool any = false;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            if (update.RawRepresentation is StreamingChatCompletionUpdate raw && !update.Contents.OfType<TextReasoningContent>().Any()
                && ReasoningDelta(raw) is { } delta)
                update.Contents.Insert(0, new TextReasoningContent(delta));
            any |= update.Contents.Count > 0 || update.FinishReason is not null;
            yield return update;
        }
        if (!any)
            throw new MalformedReplyException("the streamed reply carried no chunk with text or a finish reason: expected a text/event-stream of chat.completion.chunk events");
    }

    private static bool HasReasoning(ChatResponse response) =>
        response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Any();

#pragma warning disable SCME0001 // JsonPatch (the SDK's view of fields it does not model) is marked experimental.
    private static string? Reasoning(ChatCompletion completion) =>
        completion.Patch.TryGetValue("$.choices[0].message.reasoning"u8, out string? value) && !string.IsNullOrEmpty(value) ? value : null;

    private static string? ReasoningDelta(StreamingChatCompletionUpdate update) =>
        update.Patch.TryGetValue("$.choices[0].delta.reasoning"u8, out string? value) && !string.IsNullOrEmpty(value) ? value : null;
#pragma warning restore SCME0001
}
