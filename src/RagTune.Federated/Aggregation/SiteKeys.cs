// The per-site keys of a RagTune aggregator: a site sends its key in the gRPC request header x-ragtune-site-key, the
// aggregator finds which site it belongs to. Flower's own server has NO site authentication on this protocol (any client
// that reaches its port may join and receives the global model); this check is RagTune's, on RagTune's server only.
using System.Security.Cryptography;
using System.Text;

namespace RagTune.Federated.Aggregation;

/// <remarks>
/// File format (UTF-8 text): one site per line, <c>SITE-NAME KEY</c> separated by spaces or a tab; blank lines and lines
/// starting with <c>#</c> are ignored. Names and keys are unique, keys at least 16 characters (e.g. <c>openssl rand -hex 32</c>).
/// The site name is what the round log and history show; the key is never logged.
/// </remarks>
public sealed class SiteKeys
{
    /// <summary>The request header (gRPC metadata) a site sends its key in.</summary>
    public const string HeaderName = "x-ragtune-site-key";

    /// <summary>The shortest key accepted.</summary>
    public const int MinKeyLength = 16;

    private readonly (string Site, byte[] Key)[] _entries;

    private SiteKeys((string Site, byte[] Key)[] entries) => _entries = entries;

    /// <summary>The site names, in file order.</summary>
    public IReadOnlyList<string> Sites => _entries.Select(e => e.Site).ToArray();

    /// <summary>Reads a keys file; an error names the file, the line and what was expected.</summary>
    public static SiteKeys Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FederatedException($"{path}: site keys file not found");
        return Parse(File.ReadAllLines(path), path);
    }

    /// <summary>Parses the lines of a keys file; <paramref name="source"/> names it in errors.</summary>
    public static SiteKeys Parse(IEnumerable<string> lines, string source)
    {
        var entries = new List<(string, byte[])>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        int lineNo = 0;
        foreach (string raw in lines)
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
                throw new FederatedException($"{source}:{lineNo}: found {parts.Length} fields; expected 'SITE-NAME KEY'");
            var (site, key) = (parts[0], parts[1]);
            if (key.Length < MinKeyLength)
                throw new FederatedException($"{source}:{lineNo}: the key of site '{site}' has {key.Length} characters; expected at least {MinKeyLength}");
            if (!names.Add(site)) throw new FederatedException($"{source}:{lineNo}: site '{site}' is listed twice; expected one line per site");
            if (!keys.Add(key)) throw new FederatedException($"{source}:{lineNo}: site '{site}' has the same key as an earlier site; expected a key per site");
            entries.Add((site, Encoding.UTF8.GetBytes(key)));
        }
        if (entries.Count == 0) throw new FederatedException($"{source}: no site keys; expected lines 'SITE-NAME KEY'");
        return new SiteKeys([.. entries]);
    }

    /// <summary>The site whose key <paramref name="key"/> is, or null. Every key is compared in constant time.</summary>
    public string? FindSite(string? key)
    {
        if (string.IsNullOrEmpty(key)) return null;
        byte[] given = Encoding.UTF8.GetBytes(key);
        string? found = null;
        foreach (var (site, k) in _entries)
            if (CryptographicOperations.FixedTimeEquals(k, given)) found = site;
        return found;
    }
}
