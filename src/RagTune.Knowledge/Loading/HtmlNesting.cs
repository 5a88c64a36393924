// A linear pre-scan of HTML for how deep its elements nest. The HTML tree builder checks "has an element in scope" against
// the whole stack of open elements for every tag, so parsing n nested elements costs n² (40,000 <div>s: minutes); pages
// nested past a limit are refused before parsing, as browsers cap their tree depth (Chromium at 512).
namespace RagTune.Knowledge.Loading;

internal static class HtmlNesting
{
    // Elements that never have content, and those whose end tag may be left out (the parser closes them implicitly):
    // neither deepens the count, so sloppy but ordinary pages (thousands of unclosed <p> or <li>) pass.
    private static readonly HashSet<string> NotCounted = new(StringComparer.OrdinalIgnoreCase)
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr", "keygen",
        "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "rb", "rt", "rtc", "rp",
        "colgroup", "caption", "html", "head", "body",
    };

    private static readonly string[] RawText = ["script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext"];

    /// <summary>True when start tags (not closed by matching end tags) nest deeper than <paramref name="limit"/>.</summary>
    public static bool Exceeds(string html, int limit)
    {
        var depth = 0;
        var i = 0;
        while ((i = html.IndexOf('<', i)) >= 0)
        {
            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                var end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                if (end < 0) return false;
                i = end + 3;
                continue;
            }
            var closing = i + 1 < html.Length && html[i + 1] == '/';
            var start = i + (closing ? 2 : 1);
            var nameEnd = start;
            while (nameEnd < html.Length && (char.IsAsciiLetterOrDigit(html[nameEnd]) || html[nameEnd] == '-')) nameEnd++;
            if (nameEnd == start || !char.IsAsciiLetter(html[start])) { i++; continue; }
            var name = html[start..nameEnd];
            var close = TagEnd(html, nameEnd);
            if (close < 0) return false;
            var selfClosing = html[close - 1] == '/';
            i = close + 1;
            if (NotCounted.Contains(name)) continue;
            if (closing) { if (depth > 0) depth--; continue; }
            if (RawText.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                // Its content is text, not tags: skip to its end tag.
                var end = html.IndexOf("</" + name, i, StringComparison.OrdinalIgnoreCase);
                if (end < 0) return false;
                i = end;
                continue;
            }
            if (!selfClosing && ++depth > limit) return true;
        }
        return false;
    }

    /// <summary>Index of the '>' that ends the tag whose attributes start at <paramref name="from"/>, quotes respected; -1 if none.</summary>
    private static int TagEnd(string html, int from)
    {
        char quote = '\0';
        for (var j = from; j < html.Length; j++)
        {
            var c = html[j];
            if (quote != '\0') { if (c == quote) quote = '\0'; }
            else if (c is '"' or '\'') quote = c;
            else if (c == '>') return j;
        }
        return -1;
    }
}
