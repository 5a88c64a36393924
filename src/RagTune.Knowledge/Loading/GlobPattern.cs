// Glob matching for include/exclude filters on '/'-separated relative paths: *, ?, ** (any directories) and {a,b}.
using System.Text;
using System.Text.RegularExpressions;

namespace RagTune.Knowledge.Loading;

public sealed class GlobPattern
{
    private readonly Regex _regex;

    /// <summary>A pattern without '/' matches the file name anywhere ("*.md"); with '/' it matches the whole relative path
    /// ("docs/**/*.md").</summary>
    public GlobPattern(string pattern)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(pattern);
        Pattern = pattern.Replace('\\', '/');
        var body = Pattern.Contains('/') ? Pattern.TrimStart('/') : "**/" + Pattern;
        _regex = new Regex("^" + Translate(body) + "$", RegexOptions.CultureInvariant | (OperatingSystem.IsWindows() ? RegexOptions.IgnoreCase : RegexOptions.None));
    }

    public string Pattern { get; }

    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath.Replace('\\', '/'));

    private static string Translate(string glob)
    {
        var regex = new StringBuilder();
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // "**/" matches zero or more directories; a trailing "**" matches everything below.
                if (i + 2 < glob.Length && glob[i + 2] == '/') { regex.Append("(?:.*/)?"); i += 2; }
                else { regex.Append(".*"); i++; }
            }
            else if (c == '*') regex.Append("[^/]*");
            else if (c == '?') regex.Append("[^/]");
            else if (c == '{')
            {
                var close = glob.IndexOf('}', i);
                if (close < 0) { regex.Append("\\{"); continue; }
                regex.Append("(?:").Append(string.Join('|', glob[(i + 1)..close].Split(',').Select(Translate))).Append(')');
                i = close;
            }
            else regex.Append(Regex.Escape(c.ToString()));
        }
        return regex.ToString();
    }
}
