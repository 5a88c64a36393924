// Routing by a chat model: it is asked for the one label (by default a route name) that fits the user message, and the
// earliest label its reply names picks the route.
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using RagTune.Knowledge.Search;

namespace RagTune.Knowledge.Routing;

/// <summary>
/// Replies are read leniently: reasoning blocks (&lt;think&gt;…&lt;/think&gt;) are dropped, then the label mentioned
/// first wins ("Math, clearly — not docs" → math), case-insensitively, where a Latin label must stand as a word ("it" is
/// not found in "with"; a Chinese label is found inside Chinese text). A reply naming no label, or a failed request,
/// decides nothing (the next router, else the default route, decides) and is logged as a warning; cancellation is not
/// swallowed. Thread-safe when the chat client is.
/// </summary>
public sealed class ChatClientIntentRouter : IIntentRouter
{
    private readonly IChatClient _chat;
    private readonly ChatClientIntentRouterOptions _options;
    private readonly ILogger _logger;

    public ChatClientIntentRouter(IChatClient chatClient, ChatClientIntentRouterOptions? options = null, ILogger? logger = null)
    {
        _chat = chatClient ?? throw new ArgumentNullException(nameof(chatClient));
        _options = options ?? new ChatClientIntentRouterOptions();
        _logger = logger ?? NullLogger.Instance;
        if (_options.Labels is { } labels && labels.Any(l => string.IsNullOrWhiteSpace(l.Key) || string.IsNullOrWhiteSpace(l.Value)))
            throw new KnowledgeException("chat client intent router: a label or its route is empty; expected label → route name pairs");
    }

    public async Task<string?> RouteAsync(string message, IReadOnlyList<IntentRoute> routes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(routes);
        var labels = Labels(routes);
        if (labels.Count == 0) return null;
        string reply;
        try
        {
            var options = _options.ChatOptions?.Clone() ?? new ChatOptions { Temperature = 0f, MaxOutputTokens = 16 };
            var response = await _chat.GetResponseAsync(BuildPrompt(message, labels), options, cancellationToken).ConfigureAwait(false);
            reply = response.Text;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Intent router: the classifier failed on \"{Message}\"; the next router or the default route decides.", message);
            return null;
        }
        if (ParseChoice(reply, labels.Select(l => l.Label).ToList()) is { } label) return labels.First(l => l.Label == label).Route;
        _logger.LogWarning("Intent router: the classifier's reply \"{Reply}\" names none of {Labels}; the next router or the default route decides.",
            reply, string.Join(", ", labels.Select(l => l.Label)));
        return null;
    }

    private List<(string Label, string Route, string? Description)> Labels(IReadOnlyList<IntentRoute> routes) =>
        _options.Labels is { } labels
            ? labels.Select(l => (l.Key, l.Value, (string?)null)).ToList()
            : routes.Select(r => (r.Name, r.Name, r.Description)).ToList();

    internal static List<ChatMessage> BuildPrompt(string message, IReadOnlyList<(string Label, string Route, string? Description)> labels)
    {
        var system = new StringBuilder()
            .Append("Classify the user's message into exactly one of these categories: ")
            .Append(string.Join(", ", labels.Select(l => l.Label)))
            .Append(". Reply with the category name only.");
        if (labels.Any(l => !string.IsNullOrWhiteSpace(l.Description)))
        {
            system.Append("\n\nCategories:");
            foreach (var l in labels) system.Append("\n- ").Append(l.Label).Append(": ").Append(l.Description ?? "");
        }
        return [new ChatMessage(ChatRole.System, system.ToString()), new ChatMessage(ChatRole.User, message)];
    }

    /// <summary>The label the reply mentions first (the longer one when two start at the same place), or null.</summary>
    internal static string? ParseChoice(string? reply, IReadOnlyList<string> labels)
    {
        if (string.IsNullOrWhiteSpace(reply)) return null;
        string text = ModelReply.StripReasoning(reply);
        (int At, string Label)? best = null;
        foreach (string label in labels)
        {
            var match = Regex.Match(text, $"(?<![A-Za-z0-9_-]){Regex.Escape(label)}(?![A-Za-z0-9_-])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            if (!match.Success) continue;
            if (best is null || match.Index < best.Value.At || (match.Index == best.Value.At && label.Length > best.Value.Label.Length))
                best = (match.Index, label);
        }
        return best?.Label;
    }
}
