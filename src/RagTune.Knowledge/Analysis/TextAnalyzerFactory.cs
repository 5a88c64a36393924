// Builds analyzers from options: resolves Auto to jieba or bigrams, and shares each jieba dictionary (main path,
// user dictionary) across analyzers through a thread-safe lazy cache.
using System.Collections.Concurrent;

namespace RagTune.Knowledge.Analysis;

public static class TextAnalyzerFactory
{
    // Keyed by (main dictionary path or JiebaDictionary.EmbeddedSource, user dictionary path).
    private static readonly ConcurrentDictionary<(string Main, string User), Lazy<JiebaDictionary>> WithUserDictionary = new();

    /// <summary>An analyzer for <paramref name="options"/> (defaults: Auto, no search mode, no stop words).</summary>
    public static TextAnalyzer Create(AnalyzerOptions? options = null)
    {
        var resolved = Resolve(options ?? new AnalyzerOptions());
        if (resolved.ChineseMode == ChineseMode.Bigram) return new TextAnalyzer(resolved, null);
        return new TextAnalyzer(resolved, GetDictionary(resolved.DictionaryPath, resolved.UserDictionaryPath).Segmenter);
    }

    /// <summary>
    /// A jieba analyzer over a dictionary the caller built (e.g. a <see cref="JiebaDictionary.Clone"/> with
    /// <see cref="JiebaDictionary.AddWord"/> calls); ChineseMode and the dictionary paths of <paramref name="options"/> are ignored.
    /// </summary>
    public static TextAnalyzer Create(AnalyzerOptions options, JiebaDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dictionary);
        var resolved = options with { ChineseMode = ChineseMode.Jieba, DictionaryPath = dictionary.IsEmbedded ? null : dictionary.Source, UserDictionaryPath = null };
        return new TextAnalyzer(resolved, new JiebaSegmenter(dictionary));
    }

    /// <summary>
    /// Fixes the Chinese mode and the dictionary file: Auto becomes Jieba; DictionaryPath becomes a full path, or null
    /// for the built-in dictionary (also when it names Debian's python3-jieba copy of the same file). A given dictionary
    /// or user dictionary that is missing is an error.
    /// </summary>
    public static AnalyzerOptions Resolve(AnalyzerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChineseMode == ChineseMode.Bigram)
            return options with { DictionaryPath = null, UserDictionaryPath = null };
        string? path = options.DictionaryPath == JiebaDictionary.DebianDictionaryPath ? null : options.DictionaryPath;
        if (path is not null && !File.Exists(path))
            throw new KnowledgeException($"AnalyzerOptions.DictionaryPath: file '{path}' not found; expected a jieba dict.txt (or none, for the built-in dictionary).");
        if (options.UserDictionaryPath is not null && !File.Exists(options.UserDictionaryPath))
            throw new KnowledgeException($"AnalyzerOptions.UserDictionaryPath: file '{options.UserDictionaryPath}' not found; expected a jieba user dictionary.");
        return options with
        {
            ChineseMode = ChineseMode.Jieba,
            DictionaryPath = path is null ? null : Path.GetFullPath(path),
            UserDictionaryPath = options.UserDictionaryPath is null ? null : Path.GetFullPath(options.UserDictionaryPath),
        };
    }

    private static JiebaDictionary GetDictionary(string? path, string? user)
    {
        var shared = path is null ? JiebaDictionary.Embedded : JiebaDictionary.GetShared(path);
        if (user is null) return shared;
        string main = path ?? JiebaDictionary.EmbeddedSource;
        var lazy = WithUserDictionary.GetOrAdd((main, user), key => new Lazy<JiebaDictionary>(() =>
        {
            var copy = shared.Clone();
            copy.LoadUserDictionary(key.User);
            return copy;
        }, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            WithUserDictionary.TryRemove(new KeyValuePair<(string, string), Lazy<JiebaDictionary>>((main, user), lazy));
            throw;
        }
    }
}
