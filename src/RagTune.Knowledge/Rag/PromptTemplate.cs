// Fills {name} placeholders in one pass, so text inserted for one placeholder (a chunk, a question) is never re-scanned.
using System.Text.RegularExpressions;

namespace RagTune.Knowledge.Rag;

public static partial class PromptTemplate
{
    /// <summary>The template with every known {name} replaced by its value; unknown placeholders stay as written.</summary>
    public static string Fill(string template, IReadOnlyDictionary<string, string> values)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(values);
        return Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
    }

    [GeneratedRegex(@"\{([a-z_]+)\}")]
    private static partial Regex Placeholder();
}
