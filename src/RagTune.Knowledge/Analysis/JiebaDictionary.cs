// jieba's prefix dictionary (gen_pfdict): word → frequency, with every prefix of every word present at 0, plus the total.
// Loaded from a dict.txt ("word freq [tag]" per line) by parsing bytes; shared read-only instances are cached per path.
// jieba's own dict.txt ships inside this assembly (gzip), so jieba works on every OS without python3-jieba.
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace RagTune.Knowledge.Analysis;

public sealed partial class JiebaDictionary
{
    /// <summary>The <see cref="Source"/> of the built-in dictionary: jieba 0.42.1's dict.txt, embedded in this assembly.</summary>
    public const string EmbeddedSource = "embedded:jieba-0.42.1/dict.txt";

    /// <summary>Where Debian's python3-jieba installs the same dict.txt; knowledge bases created before the dictionary
    /// was embedded record this path, and it now names the built-in copy (the file itself is never read).</summary>
    public const string DebianDictionaryPath = "/usr/lib/python3/dist-packages/jieba/dict.txt";

    private const string EmbeddedResourceName = "RagTune.Knowledge.Analysis.Resources.jieba_dict.txt.gz";

    private static readonly ConcurrentDictionary<string, Lazy<JiebaDictionary>> SharedByPath = new(StringComparer.Ordinal);
    private static readonly Lazy<JiebaDictionary> SharedEmbedded = new(() => LoadEmbedded(readOnly: true), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Dictionary<string, int> _freq;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly HashSet<string> _forceSplit = new(StringComparer.Ordinal);
    private JiebaSegmenter? _segmenter;

    private JiebaDictionary(Dictionary<string, int> freq, long total, string source, bool readOnly)
    {
        _freq = freq;
        _lookup = freq.GetAlternateLookup<ReadOnlySpan<char>>();
        Total = total;
        Source = source;
        IsReadOnly = readOnly;
    }

    /// <summary>Sum of all word frequencies (jieba's <c>total</c>).</summary>
    public long Total { get; private set; }

    /// <summary>The file the dictionary was loaded from, or <see cref="EmbeddedSource"/>.</summary>
    public string Source { get; }

    /// <summary>Shared instances are read-only; <see cref="Clone"/> gives a copy that accepts user words.</summary>
    public bool IsReadOnly { get; }

    /// <summary>Number of entries in the prefix dictionary (words and prefixes).</summary>
    public int EntryCount => _freq.Count;

    internal HashSet<string> ForceSplitWords => _forceSplit;

    internal JiebaSegmenter Segmenter => _segmenter ??= new JiebaSegmenter(this);

    /// <summary>Whether this is (a copy of) the built-in dictionary.</summary>
    public bool IsEmbedded => Source == EmbeddedSource;

    /// <summary>The built-in jieba dictionary, loaded once and shared by every caller (read-only, thread-safe).</summary>
    public static JiebaDictionary Embedded => SharedEmbedded.Value;

    /// <summary>A new, writable instance of the built-in dictionary (for user words).</summary>
    public static JiebaDictionary LoadEmbedded() => LoadEmbedded(readOnly: false);

    /// <summary>A read-only dictionary loaded once per full path and shared by every caller (thread-safe).</summary>
    public static JiebaDictionary GetShared(string path)
    {
        string full = Path.GetFullPath(path);
        var lazy = SharedByPath.GetOrAdd(full, p => new Lazy<JiebaDictionary>(() => Load(p, readOnly: true), LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return lazy.Value;
        }
        catch
        {
            SharedByPath.TryRemove(new KeyValuePair<string, Lazy<JiebaDictionary>>(full, lazy));
            throw;
        }
    }

    /// <summary>Loads a jieba dictionary file into a new, writable instance.</summary>
    public static JiebaDictionary Load(string path) => Load(path, readOnly: false);

    private static JiebaDictionary Load(string path, bool readOnly)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KnowledgeException($"jieba dictionary '{path}': cannot be read ({ex.Message}); expected a UTF-8 file of 'word freq [tag]' lines.", ex);
        }
        return Parse(bytes, path, readOnly);
    }

    private static JiebaDictionary LoadEmbedded(bool readOnly) => Parse(ReadEmbeddedBytes(), EmbeddedSource, readOnly);

    /// <summary>The bytes of the built-in dict.txt, decompressed (to write it out or to compare it with another copy).</summary>
    public static byte[] ReadEmbeddedBytes()
    {
        using var compressed = typeof(JiebaDictionary).Assembly.GetManifestResourceStream(EmbeddedResourceName)
            ?? throw new KnowledgeException($"Embedded resource '{EmbeddedResourceName}' is missing from RagTune.Knowledge; expected jieba's dict.txt (gzip).");
        using var gzip = new GZipStream(compressed, CompressionMode.Decompress);
        using var bytes = new MemoryStream(5_200_000);
        gzip.CopyTo(bytes);
        return bytes.ToArray();
    }

    private static JiebaDictionary Parse(ReadOnlySpan<byte> bytes, string path, bool readOnly)
    {
        var freq = new Dictionary<string, int>(bytes.Length / 9, StringComparer.Ordinal);
        var lookup = freq.GetAlternateLookup<ReadOnlySpan<char>>();
        long total = 0;
        ReadOnlySpan<byte> data = bytes;
        if (data.StartsWith("\xEF\xBB\xBF"u8)) data = data[3..];
        Span<char> word = stackalloc char[256];
        int lineNo = 0;
        while (!data.IsEmpty)
        {
            lineNo++;
            int nl = data.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = nl < 0 ? data : data[..nl];
            data = nl < 0 ? default : data[(nl + 1)..];
            line = line.Trim(" \t\r"u8);
            if (line.IsEmpty) continue;
            int sp = line.IndexOf((byte)' ');
            if (sp <= 0) throw BadLine(path, lineNo, line);
            ReadOnlySpan<byte> wordBytes = line[..sp];
            ReadOnlySpan<byte> rest = line[(sp + 1)..];
            int sp2 = rest.IndexOf((byte)' ');
            ReadOnlySpan<byte> freqBytes = sp2 < 0 ? rest : rest[..sp2];
            if (!Utf8Parser.TryParse(freqBytes, out int f, out int consumed) || consumed != freqBytes.Length || f < 0)
                throw BadLine(path, lineNo, line);
            Span<char> w = wordBytes.Length <= word.Length ? word : new char[wordBytes.Length];
            int len;
            try
            {
                len = Encoding.UTF8.GetChars(wordBytes, w);
            }
            catch (DecoderFallbackException ex)
            {
                throw new KnowledgeException($"jieba dictionary '{path}' line {lineNo}: found invalid UTF-8; expected a UTF-8 file.", ex);
            }
            AddEntry(freq, lookup, w[..len], f);
            total += f;
        }
        return new JiebaDictionary(freq, total, path, readOnly);
    }

    // lfreq[word] = freq, then every prefix not yet present gets 0 (gen_pfdict / add_word).
    private static void AddEntry(Dictionary<string, int> freq, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup, ReadOnlySpan<char> word, int f)
    {
        lookup[word] = f;
        // One hash probe per prefix: a new prefix is added with 0, an existing entry is left as it is.
        for (int i = 1; i < word.Length; i++)
            CollectionsMarshal.GetValueRefOrAddDefault(lookup, word[..i], out _);
    }

    private static KnowledgeException BadLine(string path, int lineNo, ReadOnlySpan<byte> line) =>
        new($"jieba dictionary '{path}' line {lineNo}: found '{Encoding.UTF8.GetString(line)}'; expected 'word freq [tag]' with a non-negative integer freq.");

    /// <summary>A writable copy (user words added to it do not affect this instance).</summary>
    public JiebaDictionary Clone()
    {
        var copy = new JiebaDictionary(new Dictionary<string, int>(_freq, StringComparer.Ordinal), Total, Source, readOnly: false);
        copy._forceSplit.UnionWith(_forceSplit);
        return copy;
    }

    /// <summary>Frequency of an entry: the word's count, 0 for a pure prefix, false when absent.</summary>
    public bool TryGetFrequency(ReadOnlySpan<char> word, out int frequency) => _lookup.TryGetValue(word, out frequency);

    /// <summary>
    /// jieba's add_word: sets the word's frequency (jieba's suggest_freq when null, so that the word is cut out whole),
    /// adds its prefixes, and with frequency 0 forces the HMM to split it.
    /// </summary>
    public void AddWord(string word, int? frequency = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(word);
        if (IsReadOnly) throw new InvalidOperationException("This jieba dictionary is shared and read-only; call Clone() to add user words.");
        if (frequency < 0) throw new ArgumentOutOfRangeException(nameof(frequency), frequency, "A word frequency must be >= 0.");
        int f = frequency ?? SuggestFrequency(word);
        AddEntry(_freq, _lookup, word, f);
        Total += f;
        if (f == 0) _forceSplit.Add(word);
    }

    /// <summary>jieba's suggest_freq(word, tune=False): the smallest frequency that keeps the word whole.</summary>
    public int SuggestFrequency(string word)
    {
        double total = Total;
        double p = 1;
        foreach (string seg in Segmenter.Cut(word, hmm: false))
            p *= (_lookup.TryGetValue(seg, out int f) ? f : 1) / total;
        long suggested = (long)(p * Total) + 1;
        int existing = _lookup.TryGetValue(word, out int e) ? e : 1;
        return (int)Math.Min(int.MaxValue, Math.Max(suggested, existing));
    }

    /// <summary>jieba's load_userdict: UTF-8 lines "word [freq] [tag]"; the word may contain spaces.</summary>
    public void LoadUserDictionary(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DecoderFallbackException)
        {
            throw new KnowledgeException($"user dictionary '{path}': cannot be read ({ex.Message}); expected a UTF-8 file of 'word [freq] [tag]' lines.", ex);
        }
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim().TrimStart('\uFEFF');
            if (line.Length == 0) continue;
            var m = UserDictLine().Match(line);
            int? freq = null;
            if (m.Groups[2].Success)
            {
                if (!int.TryParse(m.Groups[2].ValueSpan.Trim(), out int f))
                    throw new KnowledgeException($"user dictionary '{path}' line {i + 1}: found frequency '{m.Groups[2].Value.Trim()}'; expected an integer that fits in 32 bits.");
                freq = f;
            }
            AddWord(m.Groups[1].Value, freq);
        }
    }

    // jieba's re_userdict.
    [GeneratedRegex("^(.+?)( [0-9]+)?( [a-z]+)?$")]
    private static partial Regex UserDictLine();
}
