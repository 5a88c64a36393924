// Routes by asking a chat model which collections (by name and description) can answer the query.
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RagTune.Knowledge.Search;

/// <summary>
/// The model is asked for a JSON array of names. The reply is parsed leniently: a JSON array anywhere in it (after any
/// &lt;think&gt; block), else every collection name that appears in it as a word. Unknown names are dropped. An
/// exception or a reply naming no known collection falls back to all collections, with a warning.
/// </summary>
public sealed partial class ChatClientRouter(IChatClient chatClient, ILogger? logger = null, ChatOptions? chatOptions = null) : ICollectionRouter
{
    private readonly IChatClient _chat = chatClient ?? throw new ArgumentNullException(nameof(chatClient));
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public async Task<IReadOnlyList<string>> RouteAsync(string query, IReadOnlyList<KnowledgeCollection> collections, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(collections);
        if (collections.Count == 0) throw new KnowledgeException("chat router: no collections given, expected at least one.");
        var all = collections.Select(c => c.Name).ToList();
        if (collections.Count == 1) return all;
        string reply;
        try
        {
            var options = chatOptions?.Clone() ?? new ChatOptions { Temperature = 0f };
            var response = await _chat.GetResponseAsync(BuildPrompt(query, collections), options, cancellationToken).ConfigureAwait(false);
            reply = response.Text;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Chat router failed for query \"{Query}\"; searching all {Count} collections.", query, all.Count);
            return all;
        }
        var chosen = ParseChoice(reply, all);
        if (chosen.Count > 0) return chosen;
        _logger.LogWarning("Chat router reply \"{Reply}\" names no known collection; searching all {Count} collections.", reply, all.Count);
        return all;
    }

    internal static List<ChatMessage> BuildPrompt(string query, IReadOnlyList<KnowledgeCollection> collections)
    {
        var sb = new StringBuilder();
        sb.AppendLine("Collections:");
        foreach (var c in collections) sb.Append("- ").Append(c.Name).Append(": ").AppendLine(c.Description);
        sb.AppendLine().Append("Query: ").AppendLine(query);
        sb.Append("Answer with a JSON array of the names of every collection that may contain the answer, most likely first, e.g. [\"")
          .Append(collections[0].Name).Append("\"]. Reply with the array only.");
        return
        [
            new ChatMessage(ChatRole.System, "You route search queries to document collections. Choose only from the listed collection names."),
            new ChatMessage(ChatRole.User, sb.ToString()),
        ];
    }

    /// <summary>Known names from the reply, in the reply's order, without duplicates.</summary>
    internal static List<string> ParseChoice(string? reply, IReadOnlyList<string> known)
    {
        var chosen = new List<string>();
        if (string.IsNullOrWhiteSpace(reply)) return chosen;
        string text = ModelReply.StripReasoning(reply);

        void Take(string candidate)
        {
            string? name = known.FirstOrDefault(k => string.Equals(k, candidate.Trim(), StringComparison.Ordinal))
                ?? known.FirstOrDefault(k => string.Equals(k, candidate.Trim(), StringComparison.OrdinalIgnoreCase));
            if (name is not null && !chosen.Contains(name)) chosen.Add(name);
        }

        foreach (Match m in JsonArray().Matches(text))
        {
            try
            {
                using var doc = JsonDocument.Parse(m.Value);
                foreach (var e in doc.RootElement.EnumerateArray())
                {
                    if (e.ValueKind == JsonValueKind.String) Take(e.GetString()!);
                }
            }
            catch (JsonException) { /* not JSON after all; the name scan below still applies */ }
            if (chosen.Count > 0) return chosen;
        }

        // No usable array: take the known names mentioned in the text, ordered by first mention.
        var mentions = new List<(int Position, string Name)>();
        foreach (var name in known)
        {
            var match = Regex.Match(text, $@"(?<![\p{{L}}\p{{N}}_-]){Regex.Escape(name)}(?![\p{{L}}\p{{N}}_-])", RegexOptions.IgnoreCase);
            if (match.Success) mentions.Add((match.Index, name));
        }
        foreach (var (_, name) in mentions.OrderBy(m => m.Position)) Take(name);
        return chosen;
    }

    [GeneratedRegex(@"\[[^\[\]]*\]", RegexOptions.Singleline)]
    private static partial Regex JsonArray();
}
