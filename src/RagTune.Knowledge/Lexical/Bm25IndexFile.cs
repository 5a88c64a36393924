// The on-disk form of a BM25 index: manifest.json (format, version, parameters, analyzer, current data file) and
// bm25-<generation>.bin (versioned binary: doc table, then term dictionary with delta-encoded postings).
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using RagTune.Engine.IO;
using RagTune.Knowledge.Analysis;

namespace RagTune.Knowledge.Lexical;

internal static class Bm25IndexFile
{
    public const string ManifestName = "manifest.json";
    private const string Format = "ragtune-bm25";
    private const int Version = 1;
    private static ReadOnlySpan<byte> Magic => "RTBM25\0\0"u8;
    private static ReadOnlySpan<byte> EndMagic => "RTBM25END"u8;

    private sealed record Manifest(
        [property: JsonPropertyName("format")] string Format,
        [property: JsonPropertyName("version")] int Version,
        [property: JsonPropertyName("generation")] long Generation,
        [property: JsonPropertyName("data_file")] string DataFile,
        [property: JsonPropertyName("documents")] int Documents,
        [property: JsonPropertyName("terms")] int Terms,
        [property: JsonPropertyName("k1")] double K1,
        [property: JsonPropertyName("b")] double B,
        [property: JsonPropertyName("analyzer")] AnalyzerRecord Analyzer);

    private sealed record AnalyzerRecord(
        [property: JsonPropertyName("chinese_mode")] string ChineseMode,
        [property: JsonPropertyName("dictionary_path")] string? DictionaryPath,
        [property: JsonPropertyName("user_dictionary_path")] string? UserDictionaryPath,
        [property: JsonPropertyName("search_mode")] bool SearchMode,
        [property: JsonPropertyName("stop_words")] bool StopWords);

    public sealed record Contents(string Path, Bm25Options Options, string[] DocIds, int[] DocLengths, string[] Terms, int[][] Docs, int[][] Tfs);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    public static void Save(string directory, Bm25Options options, IReadOnlyList<string> docIds, IReadOnlyList<int> docLengths,
        IReadOnlyList<string> terms, IReadOnlyList<(int[] Docs, int[] Tfs, int Count)> postings)
    {
        Directory.CreateDirectory(directory);
        long generation = TryReadManifest(directory, out var previous) ? previous!.Generation + 1 : 1;
        string dataName = $"bm25-{generation:D6}.bin";
        string dataPath = Path.Combine(directory, dataName);
        AtomicFile.Write(dataPath, fs =>
        {
            using var w = new BinaryWriter(fs, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(Version);
            w.Write(docIds.Count);
            w.Write(terms.Count);
            for (int d = 0; d < docIds.Count; d++)
            {
                w.Write(docIds[d]);
                w.Write7BitEncodedInt(docLengths[d]);
            }
            for (int t = 0; t < terms.Count; t++)
            {
                var (docs, tfs, count) = postings[t];
                w.Write(terms[t]);
                w.Write7BitEncodedInt(count);
                int prev = -1;
                for (int i = 0; i < count; i++)
                {
                    w.Write7BitEncodedInt(docs[i] - prev);
                    w.Write7BitEncodedInt(tfs[i]);
                    prev = docs[i];
                }
            }
            w.Write(EndMagic);
        });

        var a = options.Analyzer;
        var manifest = new Manifest(Format, Version, generation, dataName, docIds.Count, terms.Count, options.K1, options.B,
            new AnalyzerRecord(a.ChineseMode.ToString(), a.DictionaryPath, a.UserDictionaryPath, a.SearchMode, a.StopWords));
        string manifestPath = Path.Combine(directory, ManifestName);
        // The manifest swap is the commit point: before it the previous generation is the index, after it the new one.
        AtomicFile.Write(manifestPath, fs => JsonSerializer.Serialize(fs, manifest, Json));
        foreach (string old in Directory.EnumerateFiles(directory, "bm25-*.bin*"))
            if (Path.GetFileName(old) != dataName) File.Delete(old);
    }

    private static bool TryReadManifest(string directory, out Manifest? manifest)
    {
        manifest = null;
        string path = Path.Combine(directory, ManifestName);
        if (!File.Exists(path)) return false;
        try
        {
            manifest = JsonSerializer.Deserialize<Manifest>(File.ReadAllBytes(path));
        }
        catch (JsonException ex)
        {
            throw new KnowledgeException($"BM25 index '{path}': found invalid JSON ({ex.Message}); expected a manifest written by RagTune.", ex);
        }
        if (manifest is null || manifest.Format != Format || manifest.Analyzer is null || string.IsNullOrEmpty(manifest.DataFile))
            throw new KnowledgeException($"BM25 index '{path}': found a manifest without format '{Format}', data_file and analyzer; expected a manifest written by RagTune.");
        if (manifest.Version != Version)
            throw new KnowledgeException($"BM25 index '{path}': found format version {manifest.Version}; expected version {Version}.");
        return true;
    }

    public static Contents Load(string directory)
    {
        if (!TryReadManifest(directory, out var m))
            throw new KnowledgeException($"BM25 index '{directory}': no {ManifestName} found; expected a directory written by Bm25Index.Save.");
        if (!Enum.TryParse<ChineseMode>(m!.Analyzer.ChineseMode, out var mode))
            throw new KnowledgeException($"BM25 index '{directory}' manifest field analyzer.chinese_mode: found '{m.Analyzer.ChineseMode}'; expected Jieba or Bigram.");
        var options = new Bm25Options
        {
            K1 = m.K1,
            B = m.B,
            Analyzer = new AnalyzerOptions
            {
                ChineseMode = mode,
                DictionaryPath = m.Analyzer.DictionaryPath,
                UserDictionaryPath = m.Analyzer.UserDictionaryPath,
                SearchMode = m.Analyzer.SearchMode,
                StopWords = m.Analyzer.StopWords,
            },
        };
        string dataPath = Path.Combine(directory, Path.GetFileName(m.DataFile));
        if (!File.Exists(dataPath))
            throw new KnowledgeException($"BM25 index '{directory}': data file '{m.DataFile}' named by the manifest is missing; expected it next to {ManifestName}.");
        try
        {
            using var fs = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var r = new BinaryReader(fs, Encoding.UTF8);
            Span<byte> magic = stackalloc byte[8];
            r.BaseStream.ReadExactly(magic);
            int version = r.ReadInt32();
            if (!magic.SequenceEqual(Magic) || version != Version)
                throw Corrupt(dataPath, $"header magic/version {Encoding.ASCII.GetString(magic).TrimEnd('\0')}/{version}", $"RTBM25/{Version}");
            int docCount = r.ReadInt32(), termCount = r.ReadInt32();
            if (docCount != m.Documents || termCount != m.Terms)
                throw Corrupt(dataPath, $"{docCount} documents and {termCount} terms", $"the manifest's {m.Documents} and {m.Terms}");
            var ids = new string[docCount];
            var lengths = new int[docCount];
            for (int d = 0; d < docCount; d++)
            {
                ids[d] = r.ReadString();
                lengths[d] = r.Read7BitEncodedInt();
            }
            var terms = new string[termCount];
            var docs = new int[termCount][];
            var tfs = new int[termCount][];
            for (int t = 0; t < termCount; t++)
            {
                terms[t] = r.ReadString();
                int count = r.Read7BitEncodedInt();
                if (count < 0 || count > docCount) throw Corrupt(dataPath, $"{count} postings for term '{terms[t]}'", $"at most {docCount}");
                var pd = new int[count];
                var pt = new int[count];
                int prev = -1;
                for (int i = 0; i < count; i++)
                {
                    prev += r.Read7BitEncodedInt();
                    if (prev >= docCount) throw Corrupt(dataPath, $"document number {prev} in the postings of '{terms[t]}'", $"< {docCount}");
                    pd[i] = prev;
                    pt[i] = r.Read7BitEncodedInt();
                }
                docs[t] = pd;
                tfs[t] = pt;
            }
            Span<byte> end = stackalloc byte[EndMagic.Length];
            r.BaseStream.ReadExactly(end);
            if (!end.SequenceEqual(EndMagic)) throw Corrupt(dataPath, "no end marker", "the RTBM25END trailer");
            return new Contents(directory, options, ids, lengths, terms, docs, tfs);
        }
        catch (EndOfStreamException ex)
        {
            throw new KnowledgeException($"BM25 index file '{dataPath}': found it truncated; expected a complete file written by Bm25Index.Save.", ex);
        }
    }

    private static KnowledgeException Corrupt(string path, string found, string expected) =>
        new($"BM25 index file '{path}': found {found}; expected {expected}.");
}
