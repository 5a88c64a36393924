// Options for the text analyzer: how Chinese is segmented, where the jieba dictionaries are, search mode, stop words.
namespace RagTune.Knowledge.Analysis;

public enum ChineseMode
{
    /// <summary>jieba (kept for files written when Auto could fall back to bigrams; the built-in dictionary is always there).</summary>
    Auto,
    /// <summary>jieba word segmentation over <see cref="AnalyzerOptions.DictionaryPath"/> or the built-in dictionary.</summary>
    Jieba,
    /// <summary>Overlapping CJK character bigrams (Lucene's CJKBigramFilter); needs no dictionary.</summary>
    Bigram,
}

public sealed record AnalyzerOptions
{
    public ChineseMode ChineseMode { get; init; } = ChineseMode.Auto;

    /// <summary>A jieba dict.txt replacing the main dictionary; null means the built-in one (jieba 0.42.1's dict.txt,
    /// embedded in RagTune.Knowledge). Debian's python3-jieba path, recorded by older knowledge bases, also means the built-in one.</summary>
    public string? DictionaryPath { get; init; }

    /// <summary>Optional jieba user dictionary ("word [freq] [tag]" lines) added on top of the main one: it adds words
    /// and overrides the frequencies of existing ones.</summary>
    public string? UserDictionaryPath { get; init; }

    /// <summary>jieba's cut_for_search: also emit in-dictionary 2- and 3-grams of longer words (better recall for indexing).</summary>
    public bool SearchMode { get; init; }

    /// <summary>Drop the built-in Chinese + English stop words.</summary>
    public bool StopWords { get; init; }
}
