// The snippet column of `kb search`: a window of the chunk around its first matched term, matched terms emphasised
// (bold yellow on a terminal, **term** in plain output so pipes and logs keep the emphasis).
using System.Text;
using RagTune.Knowledge.Text;
using Spectre.Console;

namespace RagTune.Cli.Commands.Kb;

internal static class KbSnippet
{
    /// <summary>Spectre markup for up to <paramref name="width"/> chars of <paramref name="text"/>; <paramref name="highlights"/>
    /// are sorted, non-overlapping spans of it.</summary>
    public static string Build(string text, IReadOnlyList<TextSpan> highlights, int width, bool color)
    {
        // Same length as the text, so the spans still index into it.
        string flat = text.Replace('\n', ' ').Replace('\r', ' ').Replace('\t', ' ');
        int start = highlights.Count > 0 ? Math.Max(0, highlights[0].Start - width / 4) : 0;
        int end = Math.Min(flat.Length, start + width);
        start = Math.Max(0, end - width);
        var markup = new StringBuilder();
        if (start > 0) markup.Append('…');
        int at = start;
        foreach (var span in highlights)
        {
            int s = Math.Max(span.Start, start), e = Math.Min(span.End, end);
            if (s >= e) continue;
            markup.Append(Markup.Escape(flat[at..s]));
            string term = Markup.Escape(flat[s..e]);
            markup.Append(color ? $"[bold yellow]{term}[/]" : $"**{term}**");
            at = e;
        }
        markup.Append(Markup.Escape(flat[at..end]));
        if (end < flat.Length) markup.Append('…');
        return markup.ToString();
    }
}
