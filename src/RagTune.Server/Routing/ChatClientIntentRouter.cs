// Routing by an LLM classifier: the IChatClient is asked for one label; the first known label in its reply picks the target.
using Microsoft.Extensions.AI;

namespace RagTune.Server.Routing;

public sealed class ChatClientIntentRouter(IChatClient classifier, IReadOnlyDictionary<string, string> labels, string defaultTarget) : IIntentRouter
{
    public async Task<string> RouteAsync(string question, CancellationToken cancellationToken)
    {
        string names = string.Join(", ", labels.Keys);
        var messages = new[]
        {
            new ChatMessage(ChatRole.System, $"Classify the user's question into exactly one of these categories: {names}. Reply with the category name only."),
            new ChatMessage(ChatRole.User, question),
        };
        var reply = await classifier.GetResponseAsync(messages, new ChatOptions { MaxOutputTokens = 16, Temperature = 0 }, cancellationToken).ConfigureAwait(false);
        string text = reply.Text;
        // Earliest label in the reply wins, so "math, not docs" routes to math.
        var best = labels.Select(l => (l.Value, At: text.IndexOf(l.Key, StringComparison.OrdinalIgnoreCase)))
            .Where(x => x.At >= 0).OrderBy(x => x.At).FirstOrDefault();
        return best.Value ?? defaultTarget;
    }
}
