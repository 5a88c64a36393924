// Citation check for RAFT-style answers: every quoted span must occur in one of the documents the model was given.
using RagTune.Knowledge.Rag;
using System.Text;

namespace RagTune.Eval.Metrics;

/// <summary>Per item: how many quotes, how many were found in the documents, and whether all were (true when none).</summary>
public sealed record CitationResult(int Quotes, int Supported, bool AllSupported, IReadOnlyList<bool> QuoteSupported);

public static class CitationCheck
{
    /// <summary>Checks the quotes of <paramref name="output"/>, marked as <paramref name="format"/> marks them (default:
    /// <see cref="RagPromptFormat.Default"/>), against <paramref name="documents"/>.</summary>
    public static CitationResult Check(string output, IEnumerable<string> documents, RagPromptFormat? format = null)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var quotes = (format ?? RagPromptFormat.Default).Quotes(output);
        var docs = documents.Select(StripWhitespace).ToList();
        var flags = new List<bool>(quotes.Count);
        foreach (var q in quotes)
        {
            var nq = StripWhitespace(q);
            // An empty quote cites nothing and cannot be supported.
            flags.Add(nq.Length > 0 && docs.Any(d => d.Contains(nq, StringComparison.Ordinal)));
        }
        int supported = flags.Count(f => f);
        return new CitationResult(quotes.Count, supported, supported == quotes.Count, flags);
    }

    // Whitespace is removed entirely (not collapsed): models re-wrap lines and drop the spaces that PDF extraction puts
    // between Chinese characters, and a quote long enough to matter does not match by accident.
    internal static string StripWhitespace(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var r in s.EnumerateRunes())
            if (!PyText.IsSpace(r)) sb.Append(r.ToString());
        return sb.ToString();
    }
}
