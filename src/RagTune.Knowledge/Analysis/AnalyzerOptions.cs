// Options for the text analyzer: how Chinese is segmented, where the jieba dictionaries are, search mode, stop words.
namespace RagTune.Knowledge.Analysis;

public enum ChineseMode
{
    /// <summary>jieba when a dictionary is found (DictionaryPath or Debian's python3-jieba), otherwise bigrams.</summary>
    Auto,
    /// <summary>jieba word segmentation; fails when no dictionary is available.</summary>
    Jieba,
    /// <summary>Overlapping CJK character bigrams (Lucene's CJKBigramFilter); needs no dictionary.</summary>
    Bigram,
}

public sealed record AnalyzerOptions
{
    public ChineseMode ChineseMode { get; init; } = ChineseMode.Auto;

    /// <summary>jieba dict.txt; null means Debian's /usr/lib/python3/dist-packages/jieba/dict.txt.</summary>
    public string? DictionaryPath { get; init; }

    /// <summary>Optional jieba user dictionary ("word [freq] [tag]" lines) added on top of the main one.</summary>
    public string? UserDictionaryPath { get; init; }

    /// <summary>jieba's cut_for_search: also emit in-dictionary 2- and 3-grams of longer words (better recall for indexing).</summary>
    public bool SearchMode { get; init; }

    /// <summary>Drop the built-in Chinese + English stop words.</summary>
    public bool StopWords { get; init; }
}
