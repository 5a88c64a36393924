// Turns an answer into citations: each quote (between the prompt format's quote markers) is found in a retrieved passage (exact, then
// whitespace-insensitive); an answer without quotes cites the top passages. Also renders the "Sources" footer.
using System.Text;

namespace RagTune.Knowledge.Rag;

public static class CitationExtractor
{
    /// <summary>The non-empty quotes of <paramref name="answer"/>, trimmed, as <paramref name="format"/> marks them.</summary>
    public static IReadOnlyList<string> Quotes(string answer, RagPromptFormat format) =>
        format.Quotes(answer).Select(q => q.Trim()).Where(q => q.Length > 0).ToList();

    public static IReadOnlyList<Citation> Extract(string answer, IReadOnlyList<RetrievedPassage> passages, int fallback, RagPromptFormat format)
    {
        var citations = new List<Citation>();
        foreach (string quote in Quotes(answer, format))
        {
            foreach (var p in passages)
            {
                if (Find(p.Text, quote) is not { } span) continue;
                citations.Add(new Citation
                {
                    Index = p.Index, Document = p.Source.Length > 0 ? p.Source : p.DocumentId, Title = p.Title, ChunkId = p.ChunkId,
                    Quote = p.Text[span.Start..span.End], Start = span.Start, End = span.End, Kind = "quote",
                });
                break;
            }
        }
        if (citations.Count > 0) return citations;
        return passages.Take(fallback).Select(p => new Citation
        {
            Index = p.Index, Document = p.Source.Length > 0 ? p.Source : p.DocumentId, Title = p.Title, ChunkId = p.ChunkId,
            Quote = null, Start = 0, End = p.Text.Length, Kind = "retrieved",
        }).ToList();
    }

    /// <summary>The span of <paramref name="quote"/> in <paramref name="text"/>: exact first, else ignoring differences in whitespace.</summary>
    public static (int Start, int End)? Find(string text, string quote)
    {
        int at = text.IndexOf(quote, StringComparison.Ordinal);
        if (at >= 0) return (at, at + quote.Length);
        // Models re-flow whitespace when quoting; map the squeezed text back to the original offsets.
        var squeezed = new StringBuilder();
        var origin = new List<int>();
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i])) continue;
            squeezed.Append(text[i]);
            origin.Add(i);
        }
        string q = string.Concat(quote.Where(c => !char.IsWhiteSpace(c)));
        if (q.Length == 0) return null;
        int s = squeezed.ToString().IndexOf(q, StringComparison.Ordinal);
        if (s < 0) return null;
        return (origin[s], origin[s + q.Length - 1] + 1);
    }

    public static string Footer(string heading, IReadOnlyList<Citation> citations)
    {
        if (citations.Count == 0) return "";
        var sb = new StringBuilder("\n\n").Append(heading).Append(':');
        foreach (var c in citations)
        {
            sb.Append("\n[").Append(c.Index).Append("] ").Append(c.Title.Length > 0 ? c.Title : c.Document);
            if (c.Title.Length > 0 && c.Title != c.Document) sb.Append(" (").Append(c.Document).Append(')');
            if (c.Quote is { } q) sb.Append(" — \"").Append(q.Length > 160 ? q[..160] + "…" : q).Append('"');
        }
        return sb.ToString();
    }
}
