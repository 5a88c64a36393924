// The built-in Chinese and English stop-word lists (embedded resources written for RagTune), loaded once.
namespace RagTune.Knowledge.Analysis;

public static class StopWordList
{
    private static readonly Lazy<HashSet<string>> All = new(() =>
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        set.UnionWith(Read("stopwords_en.txt"));
        set.UnionWith(Read("stopwords_zh.txt"));
        return set;
    });

    /// <summary>Chinese + English stop words, lower-case, NFKC.</summary>
    public static IReadOnlySet<string> Default => All.Value;

    public static bool Contains(string term) => All.Value.Contains(term);

    private static IEnumerable<string> Read(string name)
    {
        using var stream = typeof(StopWordList).Assembly.GetManifestResourceStream("RagTune.Knowledge.Analysis.Resources." + name)
            ?? throw new KnowledgeException($"Embedded resource '{name}' is missing from RagTune.Knowledge; expected a stop-word list.");
        using var reader = new StreamReader(stream);
        var words = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length > 0 && line[0] != '#') words.Add(line);
        }
        return words;
    }
}
