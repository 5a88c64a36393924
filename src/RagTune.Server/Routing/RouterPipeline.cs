// A served model name whose requests are sent on to another pipeline chosen by an IIntentRouter; the choice is reported.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Server.Models;

namespace RagTune.Server.Routing;

public sealed class RouterPipeline(string name, IIntentRouter router, Func<string, IChatPipeline?> resolve) : IChatPipeline
{
    public string Name { get; } = name;
    public string Kind => "router";

    public async IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string question = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        string target = await router.RouteAsync(question, cancellationToken).ConfigureAwait(false);
        var pipeline = resolve(target);
        if (pipeline is null || pipeline is RouterPipeline)
            throw new ServerException($"router '{Name}' chose '{target}', which is not a served chat model or RAG pipeline");
        bool first = true;
        await foreach (var e in pipeline.RunAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            yield return first ? e with { Route = target } : e;
            first = false;
        }
    }
}
