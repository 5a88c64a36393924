// A plain chat model (or a LoRA adapter served as its own model) behind its bounded queue: the request's messages go to
// the IChatClient as they are.
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Rag;
using RagTune.Knowledge.Routing;

namespace RagTune.Server.Models;

public sealed class ModelPipeline : IChatPipeline
{
    public ModelPipeline(string name, IChatClient client, ModelGate gate, string kind = "chat")
    {
        Name = name;
        Kind = kind;
        Client = client;
        Gate = gate;
        ServedClient = new GatedChatClient(client, gate);
    }

    public string Name { get; }
    /// <summary>"chat", or "adapter" for a base model with a LoRA adapter attached.</summary>
    public string Kind { get; }

    /// <summary>The model itself, without admission (what RAG over it and an intent classifier call).</summary>
    public IChatClient Client { get; }

    public ModelGate Gate { get; }

    public IChatClient ServedClient { get; }

    public IAsyncEnumerable<PipelineEvent> RunAsync(IReadOnlyList<ChatMessage> messages, ChatRequestOptions options, CancellationToken cancellationToken) =>
        StreamAsync(ServedClient, messages, options, cancellationToken);

    /// <summary>A client's streamed answer as pipeline events (admission is the client's: a served client's gate is entered
    /// on the first MoveNextAsync): text pieces, a RAG client's passages before them, the route a IntentRoutingChatClient chose,
    /// and the end with its citations and token counts.</summary>
    internal static async IAsyncEnumerable<PipelineEvent> StreamAsync(IChatClient client, IReadOnlyList<ChatMessage> messages,
        ChatRequestOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var chatOptions = new ChatOptions
        {
            Temperature = options.Temperature,
            TopP = options.TopP,
            MaxOutputTokens = options.MaxTokens,
            Seed = options.Seed,
            StopSequences = options.Stop.Count > 0 ? [.. options.Stop] : null,
        };
        await foreach (var update in client.GetStreamingResponseAsync(messages, chatOptions, cancellationToken).ConfigureAwait(false))
        {
            var usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
            var rag = update.Contents.OfType<RagContent>().FirstOrDefault();
            string? route = IntentRoutingChatClient.RouteOf(update);
            string text = update.Text;
            if (update.FinishReason is { } finish)
            {
                yield return new PipelineEvent
                {
                    Route = route,
                    Text = text.Length > 0 ? text : null,
                    FinishReason = finish == ChatFinishReason.Length ? "length" : "stop",
                    PromptTokens = (int)(usage?.InputTokenCount ?? 0),
                    CompletionTokens = (int)(usage?.OutputTokenCount ?? 0),
                    Citations = rag?.Citations,
                };
            }
            else if (rag is not null)
                yield return new PipelineEvent { Route = route, Passages = rag.Passages, Text = text.Length > 0 ? text : null };
            else if (text.Length > 0)
                yield return new PipelineEvent { Route = route, Text = text };
        }
    }
}
