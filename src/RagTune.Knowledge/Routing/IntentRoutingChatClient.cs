// Intent routing as an IChatClient: a router reads the last user message and the request goes, unchanged, to the chat
// client of the chosen route — another model, a RagChatClient, or the inner client (the default route).
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace RagTune.Knowledge.Routing;

/// <summary>
/// The chosen route's name is recorded in <see cref="ChatResponse.AdditionalProperties"/> (and in every streamed
/// update's, so it also survives <c>ToChatResponseAsync</c>) under <see cref="RouteKey"/>; read it with
/// <see cref="RouteOf(ChatResponse)"/>. Streaming routes before the first update. A request without a user message goes to
/// the default route. Disposing disposes the inner client only: route clients belong to the caller. Thread-safe when the
/// router and the clients are.
/// </summary>
public sealed class IntentRoutingChatClient : DelegatingChatClient
{
    /// <summary>The additional-properties key of the chosen route's name.</summary>
    public const string RouteKey = "ragtune.route";

    private readonly IIntentRouter _router;
    private readonly Dictionary<string, IChatClient> _clients = new(StringComparer.Ordinal);
    private readonly List<IntentRoute> _routes;

    /// <param name="innerClient">The default route's client (in a ChatClientBuilder, the pipeline below this client).</param>
    /// <param name="router">Picks a route per request; one that decides nothing sends the request to the default route.</param>
    /// <param name="routes">The other routes, each with its own client.</param>
    /// <exception cref="KnowledgeException">Route names are empty or not unique (the default route's included).</exception>
    public IntentRoutingChatClient(IChatClient innerClient, IIntentRouter router, IEnumerable<ChatRoute> routes, IntentRoutingChatClientOptions? options = null)
        : base(innerClient)
    {
        _router = router ?? throw new ArgumentNullException(nameof(router));
        ArgumentNullException.ThrowIfNull(routes);
        Options = options ?? new IntentRoutingChatClientOptions();
        var list = routes.ToList();
        if (list.Any(r => r is null || r.Client is null)) throw new ArgumentException("A route and its client are required.", nameof(routes));
        _routes = [new IntentRoute(Options.DefaultRoute, Options.DefaultDescription), .. list.Select(r => new IntentRoute(r.Name, r.Description))];
        IntentRouting.CheckNames(_routes, Options.DefaultRoute, "intent routing chat client");
        foreach (var route in list) _clients.Add(route.Name, route.Client);
    }

    public IntentRoutingChatClientOptions Options { get; }

    /// <summary>Every route as routers see it, the default route first.</summary>
    public IReadOnlyList<IntentRoute> Routes => _routes;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var list = AsList(messages);
        string route = await ChooseAsync(list, cancellationToken).ConfigureAwait(false);
        var response = _clients.TryGetValue(route, out var client)
            ? await client.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false)
            : await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        (response.AdditionalProperties ??= [])[RouteKey] = route;
        return response;
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = AsList(messages);
        string route = await ChooseAsync(list, cancellationToken).ConfigureAwait(false);
        var updates = _clients.TryGetValue(route, out var client)
            ? client.GetStreamingResponseAsync(list, options, cancellationToken)
            : base.GetStreamingResponseAsync(list, options, cancellationToken);
        await foreach (var update in updates.ConfigureAwait(false))
        {
            (update.AdditionalProperties ??= [])[RouteKey] = route;
            yield return update;
        }
    }

    /// <summary>The route a IntentRoutingChatClient chose for this response, or null when it was not routed.</summary>
    public static string? RouteOf(ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.AdditionalProperties?.TryGetValue(RouteKey, out var route) == true ? route as string : null;
    }

    /// <summary>The route a IntentRoutingChatClient chose for the response this update belongs to, or null.</summary>
    public static string? RouteOf(ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update.AdditionalProperties?.TryGetValue(RouteKey, out var route) == true ? route as string : null;
    }

    private Task<string> ChooseAsync(IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken)
    {
        var question = messages.LastOrDefault(m => m.Role == ChatRole.User);
        return question is null
            ? Task.FromResult(Options.DefaultRoute)
            : IntentRouting.ChooseAsync(_router, question.Text, _routes, Options.DefaultRoute, "intent routing chat client", cancellationToken);
    }

    private static IReadOnlyList<ChatMessage> AsList(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages as IReadOnlyList<ChatMessage> ?? messages.ToList();
    }
}
