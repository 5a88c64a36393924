// Builds analyzers from options: resolves Auto to jieba or bigrams, and shares each jieba dictionary (main path,
// user dictionary) across analyzers through a thread-safe lazy cache.
using System.Collections.Concurrent;

namespace RagTune.Knowledge.Analysis;

public static class TextAnalyzerFactory
{
    private static readonly ConcurrentDictionary<(string Main, string User), Lazy<JiebaDictionary>> WithUserDictionary = new();

    /// <summary>An analyzer for <paramref name="options"/> (defaults: Auto, no search mode, no stop words).</summary>
    public static TextAnalyzer Create(AnalyzerOptions? options = null)
    {
        var resolved = Resolve(options ?? new AnalyzerOptions());
        if (resolved.ChineseMode == ChineseMode.Bigram) return new TextAnalyzer(resolved, null);
        return new TextAnalyzer(resolved, GetDictionary(resolved.DictionaryPath!, resolved.UserDictionaryPath).Segmenter);
    }

    /// <summary>
    /// A jieba analyzer over a dictionary the caller built (e.g. a <see cref="JiebaDictionary.Clone"/> with
    /// <see cref="JiebaDictionary.AddWord"/> calls); ChineseMode and the dictionary paths of <paramref name="options"/> are ignored.
    /// </summary>
    public static TextAnalyzer Create(AnalyzerOptions options, JiebaDictionary dictionary)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dictionary);
        var resolved = options with { ChineseMode = ChineseMode.Jieba, DictionaryPath = dictionary.Source, UserDictionaryPath = null };
        return new TextAnalyzer(resolved, new JiebaSegmenter(dictionary));
    }

    /// <summary>
    /// Fixes the Chinese mode and the dictionary file: Auto becomes Jieba when the dictionary exists (the given path,
    /// or Debian's) and Bigram otherwise; an explicitly given dictionary that is missing is an error in every mode.
    /// </summary>
    public static AnalyzerOptions Resolve(AnalyzerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ChineseMode == ChineseMode.Bigram)
            return options with { DictionaryPath = null, UserDictionaryPath = null };
        string? path = options.DictionaryPath ?? JiebaDictionary.FindDefaultPath();
        if (options.DictionaryPath is not null && !File.Exists(options.DictionaryPath))
            throw new KnowledgeException($"AnalyzerOptions.DictionaryPath: file '{options.DictionaryPath}' not found; expected a jieba dict.txt.");
        if (path is null)
        {
            if (options.ChineseMode == ChineseMode.Jieba)
                throw new KnowledgeException($"AnalyzerOptions.ChineseMode is Jieba but no dictionary was found at '{JiebaDictionary.DebianDictionaryPath}'; expected python3-jieba installed or AnalyzerOptions.DictionaryPath set.");
            return options with { ChineseMode = ChineseMode.Bigram, DictionaryPath = null, UserDictionaryPath = null };
        }
        if (options.UserDictionaryPath is not null && !File.Exists(options.UserDictionaryPath))
            throw new KnowledgeException($"AnalyzerOptions.UserDictionaryPath: file '{options.UserDictionaryPath}' not found; expected a jieba user dictionary.");
        return options with
        {
            ChineseMode = ChineseMode.Jieba,
            DictionaryPath = Path.GetFullPath(path),
            UserDictionaryPath = options.UserDictionaryPath is null ? null : Path.GetFullPath(options.UserDictionaryPath),
        };
    }

    private static JiebaDictionary GetDictionary(string main, string? user)
    {
        var shared = JiebaDictionary.GetShared(main);
        if (user is null) return shared;
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
