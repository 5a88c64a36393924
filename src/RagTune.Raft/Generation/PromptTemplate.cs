// Fills {name} placeholders in one pass, so text inserted for one placeholder (a chunk, a question) is never re-scanned.
using System.Text.RegularExpressions;

namespace RagTune.Raft.Generation;

internal static partial class PromptTemplate
{
    public static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();
}
