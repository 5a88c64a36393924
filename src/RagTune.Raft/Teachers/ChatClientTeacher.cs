// Teacher over any Microsoft.Extensions.AI IChatClient — the OpenAI-compatible client, RagTune's own local engine, or another provider's client.
using Microsoft.Extensions.AI;

namespace RagTune.Raft.Teachers;

/// <summary>Adapts an <see cref="IChatClient"/>; reasoning comes from TextReasoningContent items and &lt;think&gt; blocks.</summary>
/// <param name="client">The chat client; not disposed by the teacher.</param>
/// <param name="modelName">Recorded in run settings and used for prices.</param>
public sealed class ChatClientTeacher(IChatClient client, string modelName) : ITeacher
{
    private readonly IChatClient _client = client ?? throw new ArgumentNullException(nameof(client));

    public string ModelName { get; } = modelName;

    /// <summary>The chat pipeline asked (e.g. for its <see cref="Clients.ResilientChatClient"/> through GetService).</summary>
    public IChatClient Client => _client;

    public async Task<TeacherReply> CompleteAsync(TeacherRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var messages = request.Messages.Select(m => new ChatMessage(
            m.Role switch { TeacherRole.System => ChatRole.System, TeacherRole.Assistant => ChatRole.Assistant, _ => ChatRole.User },
            m.Content)).ToList();
        var options = new ChatOptions { Temperature = request.Temperature, MaxOutputTokens = request.MaxOutputTokens, ModelId = ModelName };
        var response = await _client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var reasoning = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextReasoningContent>().Select(r => r.Text));
        var (answer, inline) = ThinkSplitter.Split(response.Text ?? "");
        var usage = new TeacherUsage(response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0);
        return new TeacherReply(answer, ThinkSplitter.Merge(reasoning, inline), usage);
    }
}
