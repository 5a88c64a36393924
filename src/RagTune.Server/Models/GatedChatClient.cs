// Admission to a served model as a DelegatingChatClient: the request is checked, then holds a slot of the model's bounded
// queue (ModelGate) for as long as it runs — for a stream, from the first MoveNextAsync until the stream is disposed.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace RagTune.Server.Models;

/// <summary>Never disposed by its owners: the registry owns the clients below it.</summary>
internal sealed class GatedChatClient(IChatClient innerClient, ModelGate gate, Action<IReadOnlyList<ChatMessage>>? check = null)
    : DelegatingChatClient(innerClient)
{
    public ModelGate Gate { get; } = gate;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = Check(messages);
        using var slot = await Gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        return await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = Check(messages);
        using var slot = await Gate.EnterAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken).ConfigureAwait(false))
            yield return update;
    }

    private IReadOnlyList<ChatMessage> Check(IEnumerable<ChatMessage> messages)
    {
        var list = messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
        check?.Invoke(list);
        return list;
    }
}
