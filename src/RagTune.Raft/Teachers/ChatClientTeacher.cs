// Teacher over any Microsoft.Extensions.AI IChatClient — the OpenAI-compatible client, RagTune's own local engine, or another provider's client.
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace RagTune.Raft.Teachers;

/// <summary>Adapts an <see cref="IChatClient"/>; reasoning comes from TextReasoningContent items and &lt;think&gt; blocks.</summary>
/// <param name="client">The chat client; not disposed by the teacher.</param>
/// <param name="modelName">Recorded in run settings and used for prices.</param>
/// <param name="stream">Ask for the reply as a stream (the whole reply is still returned at once).</param>
public sealed class ChatClientTeacher(IChatClient client, string modelName, bool stream = false) : ITeacher
{
    private readonly IChatClient _client = client ?? throw new ArgumentNullException(nameof(client));

    public string ModelName { get; } = modelName;

    public async Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages.Select(m => new ChatMessage(
            m.Role switch { TeacherRole.System => ChatRole.System, TeacherRole.Assistant => ChatRole.Assistant, _ => ChatRole.User },
            m.Content)).ToList();
        var options = new ChatOptions { Temperature = request.Temperature, MaxOutputTokens = request.MaxOutputTokens, ModelId = ModelName };
        var response = stream
            ? await StreamAsync(messages, options, cancellationToken).ConfigureAwait(false)
            : await ReadReplyAsync(() => _client.GetResponseAsync(messages, options, cancellationToken)).ConfigureAwait(false);
        var reasoning = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
        var (answer, inline) = ThinkSplitter.Split(response.Text ?? "");
        var usage = new TeacherUsage(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
        return new TeacherReply(answer, ThinkSplitter.Merge(reasoning, inline), usage);
    }

    public Uri? Endpoint => _client.GetService<ChatClientMetadata>()?.ProviderUri;

    /// <summary>The streamed reply. A well-formed stream ends with a finish reason; a 200 whose body is not an event stream
    /// (an HTML page, a JSON error) yields no update at all, and a cut-off stream none with a finish reason.</summary>
    private async Task<ChatResponse> StreamAsync(List<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var updates = new List<ChatResponseUpdate>();
        await ReadReplyAsync(async () =>
        {
            await foreach (var update in _client.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
                updates.Add(update);
            return updates;
        }).ConfigureAwait(false);
        if (updates.Count == 0)
            throw new MalformedReplyException("the streamed reply held no chat completion chunk (expected text/event-stream 'data: {...}' lines)");
        if (updates.All(u => u.FinishReason is null))
            throw new MalformedReplyException($"the streamed reply ended after {updates.Count} chunk(s) without a finish_reason (expected a complete event stream)");
        return updates.ToChatResponse();
    }

    /// <summary>Runs the client call, turning a reply the client cannot parse (truncated JSON, no choices) into a retryable
    /// <see cref="MalformedReplyException"/>; HTTP errors, timeouts and cancellation pass through for the retry policy.</summary>
    private static async Task<T> ReadReplyAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception e) when (e is JsonException or ArgumentOutOfRangeException or IndexOutOfRangeException or KeyNotFoundException
                                      or FormatException or InvalidOperationException && e is not ObjectDisposedException)
        {
            throw new MalformedReplyException($"the reply could not be read as a chat completion ({e.GetType().Name}: {FirstLine(e.Message)})", e);
        }
    }

    private static string FirstLine(string s)
    {
        var i = s.IndexOf('\n');
        return (i < 0 ? s : s[..i]).Trim();
    }
}
