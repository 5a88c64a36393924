// Synthetic BM25 scale run: chunks of Zipf-distributed Chinese two-character words and English words, indexed with the
// bigram analyzer (cheap analysis, so the index itself is measured), at 10k, 100k and 1M chunks: managed memory,
// build time, save/load time and file size, and query latency.
using System.Diagnostics;
using System.Text;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Lexical;

namespace RagTune.Bench.Retrieval;

internal static class ScaleBenchmark
{
    private const int Vocabulary = 200_000;
    private const int TokensPerChunk = 40;

    public static void Run(int maxChunks)
    {
        var words = MakeVocabulary(new Random(1));
        var zipf = new Zipf(Vocabulary, 1.0);
        Console.WriteLine($"vocabulary {Vocabulary} words (half Chinese), Zipf s=1, {TokensPerChunk} words per chunk, bigram analyzer");
        Console.WriteLine("| Chunks | Terms | Build (s) | Managed heap (MB) | Save (s) | File (MB) | Load (s) | Query p50 (ms) | Query p99 (ms) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int n in new[] { 10_000, 100_000, 1_000_000 })
        {
            if (n > maxChunks) break;
            Measure(n, words, zipf);
        }
    }

    private static string[] MakeVocabulary(Random rng)
    {
        var words = new string[Vocabulary];
        var seen = new HashSet<string>();
        for (int i = 0; i < Vocabulary; i++)
        {
            string w;
            do
            {
                w = i % 2 == 0
                    ? string.Concat((char)rng.Next(0x4E00, 0x9FA5), (char)rng.Next(0x4E00, 0x9FA5))
                    : new string(Enumerable.Range(0, rng.Next(3, 10)).Select(_ => (char)('a' + rng.Next(26))).ToArray());
            } while (!seen.Add(w));
            words[i] = w;
        }
        return words;
    }

    private static void Measure(int chunks, string[] words, Zipf zipf)
    {
        var rng = new Random(chunks);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = GC.GetTotalMemory(true);
        var index = new Bm25Index(new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } });
        var sb = new StringBuilder();
        var sw = Stopwatch.StartNew();
        for (int c = 0; c < chunks; c++)
        {
            sb.Clear();
            for (int t = 0; t < TokensPerChunk; t++) sb.Append(words[zipf.Sample(rng)]).Append(' ');
            index.Add($"chunk-{c}", sb.ToString());
        }
        double buildS = sw.Elapsed.TotalSeconds;
        long after = GC.GetTotalMemory(true);

        var latencies = new List<double>();
        for (int q = 0; q < 300; q++)
        {
            string query = string.Join(" ", Enumerable.Range(0, rng.Next(2, 6)).Select(_ => words[zipf.Sample(rng)]));
            var t = Stopwatch.StartNew();
            index.Search(query, 10);
            latencies.Add(t.Elapsed.TotalMilliseconds);
        }

        string dir = Path.Combine(Path.GetTempPath(), $"ragtune-bm25-scale-{chunks}");
        if (Directory.Exists(dir)) Directory.Delete(dir, true);
        sw.Restart();
        index.Save(dir);
        double saveS = sw.Elapsed.TotalSeconds;
        double fileMb = Directory.GetFiles(dir).Sum(f => new FileInfo(f).Length) / 1048576.0;
        int terms = index.TermCount;
        index = null;
        GC.Collect();
        sw.Restart();
        var loaded = Bm25Index.Load(dir);
        double loadS = sw.Elapsed.TotalSeconds;
        GC.KeepAlive(loaded);
        Directory.Delete(dir, true);
        Console.WriteLine($"| {chunks:N0} | {terms:N0} | {buildS:F1} | {(after - before) / 1048576.0:F0} | {saveS:F1} | {fileMb:F0} | {loadS:F1} | {Latency.Percentile(latencies, 50):F3} | {Latency.Percentile(latencies, 99):F3} |");
    }

    // Zipf sampling by inverse CDF over precomputed cumulative weights.
    private sealed class Zipf
    {
        private readonly double[] _cdf;

        public Zipf(int n, double s)
        {
            _cdf = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) _cdf[i] = sum += 1 / Math.Pow(i + 1, s);
            for (int i = 0; i < n; i++) _cdf[i] /= sum;
        }

        public int Sample(Random rng)
        {
            int i = Array.BinarySearch(_cdf, rng.NextDouble());
            return Math.Min(i < 0 ? ~i : i, _cdf.Length - 1);
        }
    }
}
