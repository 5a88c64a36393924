// Document-first (hierarchical) retrieval against flat search on a synthetic collection with topical structure, through
// KnowledgeBase.AddFolderAsync and SearchAsync: recall@k of a known gold chunk and query latency, for each document route.
//
// Collection: D documents, each on one of T topics (a topic owns 60 words) with 8 entity words of its own, written as
// chunks of 40 words: 10 topic words, 2 entity words, 2 words unique to that chunk (its "facts") and Zipf background words
// shared by all. A query names one chunk: two topic words and one entity word of its document and one of its fact words;
// the gold answer is the chunk holding that fact word (recall@5: it is among the 5 results; document hit@5: a chunk of
// its document is). Dense vectors come from a hashing bag-of-words embedder (each word a fixed random
// 64-d direction), so documents on one topic are near each other as with a real encoder. The summary route uses a
// synthetic summariser that lists the document's topic and entity words (what a teacher's summary would name), not an LLM.
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.AI;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Chunking;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Store;
using RagTune.Knowledge.Summaries;

namespace RagTune.Bench.Retrieval;

internal static class HierarchicalBenchmark
{
    private const int Topics = 500, TopicWords = 60, EntityWords = 8, WordsPerChunk = 40, Queries = 300, K = 5, TopDocuments = 20;

    public static async Task RunAsync(int chunks)
    {
        int chunksPerDocument = 20, documents = (chunks + chunksPerDocument - 1) / chunksPerDocument;
        var rng = new Random(11);
        var words = new WordFactory(rng);
        var background = Enumerable.Range(0, 20_000).Select(_ => words.Next()).ToArray();
        var zipf = new double[background.Length];
        double sum = 0;
        for (int i = 0; i < zipf.Length; i++) zipf[i] = sum += 1.0 / (i + 1);
        string Background()
        {
            int i = Array.BinarySearch(zipf, rng.NextDouble() * sum);
            return background[Math.Min(i < 0 ? ~i : i, background.Length - 1)];
        }
        var topicVocabulary = Enumerable.Range(0, Topics).Select(_ => Enumerable.Range(0, TopicWords).Select(_ => words.Next()).ToArray()).ToArray();

        string root = Path.Combine(Path.GetTempPath(), $"ragtune-hier-{Environment.ProcessId}");
        string corpus = Path.Combine(root, "docs");
        Directory.CreateDirectory(corpus);
        var docs = new List<SyntheticDocument>();
        for (int d = 0; d < documents; d++)
        {
            int topic = rng.Next(Topics);
            var entities = Enumerable.Range(0, EntityWords).Select(_ => words.Next()).ToArray();
            var text = new StringBuilder();
            var facts = new List<string[]>();
            for (int c = 0; c < chunksPerDocument; c++)
            {
                var chunkFacts = new[] { words.Next(), words.Next() };
                facts.Add(chunkFacts);
                var chunkWords = new List<string>();
                for (int w = 0; w < 10; w++) chunkWords.Add(topicVocabulary[topic][rng.Next(TopicWords)]);
                chunkWords.Add(entities[rng.Next(EntityWords)]);
                chunkWords.Add(entities[rng.Next(EntityWords)]);
                chunkWords.AddRange(chunkFacts);
                while (chunkWords.Count < WordsPerChunk) chunkWords.Add(Background());
                // One chunk is one paragraph of one sentence, so the chunker cuts at these boundaries.
                text.Append(string.Join(' ', chunkWords.OrderBy(_ => rng.Next()))).Append(".\n\n");
            }
            string name = $"d{d:D6}.txt";
            File.WriteAllText(Path.Combine(corpus, name), text.ToString());
            docs.Add(new SyntheticDocument(name, topic, entities, facts));
        }
        var queries = new List<(string Text, string Document, string Fact)>();
        for (int q = 0; q < Queries; q++)
        {
            var doc = docs[rng.Next(docs.Count)];
            int c = rng.Next(chunksPerDocument);
            var t = topicVocabulary[doc.Topic];
            string fact = doc.Facts[c][rng.Next(2)];
            queries.Add(($"{t[rng.Next(TopicWords)]} {t[rng.Next(TopicWords)]} {doc.Entities[rng.Next(EntityWords)]} {fact}", doc.Name, fact));
        }
        var topicOf = docs.ToDictionary(d => d.Name, d => d);

        Console.WriteLine($"collection: {documents} documents × {chunksPerDocument} chunks of {WordsPerChunk} words, {Topics} topics; {Queries} queries; recall@{K} of the gold chunk; hierarchical = top {TopDocuments} documents, then their chunks");
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| Document route | Chunk routes, search | Recall@5 | Document hit@5 | Gold doc in BM25 document top 20 | p50 (ms) | p99 (ms) | p50 hier/flat |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var kind in new[] { DocumentRouteKind.FirstChunk, DocumentRouteKind.Mean, DocumentRouteKind.Summary })
        {
            var options = new KnowledgeBaseOptions
            {
                Chunking = new HierarchicalChunkingOptions { Levels = [1500, 150], OverlapTokens = 0 },
                Lexical = new Bm25Options { Analyzer = new AnalyzerOptions { ChineseMode = ChineseMode.Bigram } },
                Embedding = new EmbeddingSettings { Kind = EmbeddingKind.Local, Model = "hashing-bow-256" },
                DocumentRoute = new DocumentRouteSettings { Kind = kind },
            };
            var summarizer = new DelegateDocumentSummarizer((d, _) =>
            {
                var doc = topicOf[d.Id];
                return Task.FromResult(string.Join(' ', topicVocabulary[doc.Topic].Take(20).Concat(doc.Entities)));
            });
            var build = Stopwatch.StartNew();
            await using var kb = new KnowledgeBase(new InMemoryKnowledgeStore(options), new KnowledgeBaseOpenOptions
            {
                EmbeddingGenerator = new HashingEmbedder(256),
                Summarizer = summarizer,
            });
            await kb.AddFolderAsync(corpus, new IngestOptions { CommitInterval = TimeSpan.FromHours(1) });
            var stats = await kb.GetStatsAsync();
            Console.Error.WriteLine($"{kind}: built in {build.Elapsed.TotalSeconds:F0} s: {stats.Documents} documents, {stats.LexicalDocuments} indexed chunks, {stats.RoutedDocuments} routed documents");
            foreach (var routes in new[] { new[] { "bm25" }, ["dense"], ["bm25", "dense"] })
            {
                var flat = new KnowledgeSearchOptions { K = K, Routes = routes };
                var hierarchical = flat with { Hierarchical = true, Documents = TopDocuments };
                var timing = (Flat: new List<double>(), Hier: new List<double>());
                int[] hits = new int[2], documentHits = new int[2];
                int goldDocuments = 0;
                // Warm-up, then flat and hierarchical interleaved per query (alternating which goes first) so load hits both.
                await kb.SearchAsync(queries[0].Text, flat);
                await kb.SearchAsync(queries[0].Text, hierarchical);
                for (int q = 0; q < queries.Count; q++)
                {
                    var (text, document, fact) = queries[q];
                    bool flatFirst = q % 2 == 0;
                    for (int pass = 0; pass < 2; pass++)
                    {
                        bool isFlat = (pass == 0) == flatFirst;
                        var t = Stopwatch.StartNew();
                        var results = await kb.SearchAsync(text, isFlat ? flat : hierarchical);
                        (isFlat ? timing.Flat : timing.Hier).Add(t.Elapsed.TotalMilliseconds);
                        int at = isFlat ? 0 : 1;
                        if (results.Any(r => r.DocumentId == document && r.Text.Contains(fact, StringComparison.Ordinal))) hits[at]++;
                        if (results.Any(r => r.DocumentId == document)) documentHits[at]++;
                    }
                    var topDocuments = await kb.Store.DocumentLexicalRoute!.SearchAsync(text, TopDocuments, null, CancellationToken.None);
                    if (routes.SequenceEqual(["bm25"]) && topDocuments.Any(h => h.Id == document)) goldDocuments++;
                }
                string label = $"{Name(kind)} | {string.Join('+', routes)}";
                string gold = routes.SequenceEqual(["bm25"]) ? $"{goldDocuments / (double)queries.Count:F3}" : "";
                double ratio = Latency.Percentile(timing.Hier, 50) / Latency.Percentile(timing.Flat, 50);
                double n = queries.Count;
                Console.WriteLine($"| {label} flat | {hits[0] / n:F3} | {documentHits[0] / n:F3} | | {Latency.Percentile(timing.Flat, 50):F2} | {Latency.Percentile(timing.Flat, 99):F2} | |");
                Console.WriteLine($"| {label} hierarchical | {hits[1] / n:F3} | {documentHits[1] / n:F3} | {gold} | {Latency.Percentile(timing.Hier, 50):F2} | {Latency.Percentile(timing.Hier, 99):F2} | {ratio:F2} |");
            }
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        Directory.Delete(root, recursive: true);
    }

    private static string Name(DocumentRouteKind kind) => kind switch
    {
        DocumentRouteKind.FirstChunk => "first-chunk",
        DocumentRouteKind.Summary => "summary (synthetic)",
        _ => "mean",
    };

    private sealed record SyntheticDocument(string Name, int Topic, string[] Entities, List<string[]> Facts);

    /// <summary>Distinct lower-case words of 4–9 letters.</summary>
    private sealed class WordFactory(Random rng)
    {
        private readonly HashSet<string> _seen = [];

        public string Next()
        {
            string w;
            do w = new string(Enumerable.Range(0, rng.Next(4, 10)).Select(_ => (char)('a' + rng.Next(26))).ToArray());
            while (!_seen.Add(w));
            return w;
        }
    }

    /// <summary>Each word is a fixed pseudo-random direction (seeded by the word); a text is the sum of its words' directions.</summary>
    private sealed class HashingEmbedder(int dimensions) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default)
        {
            var result = new GeneratedEmbeddings<Embedding<float>>();
            foreach (var text in values)
            {
                var v = new float[dimensions];
                foreach (var word in text.Split([' ', '.', '\n'], StringSplitOptions.RemoveEmptyEntries))
                {
                    ulong h = 1469598103934665603UL;
                    foreach (char c in word) h = (h ^ c) * 1099511628211UL;
                    for (int d = 0; d < dimensions; d++)
                    {
                        h ^= h >> 33; h *= 0xff51afd7ed558ccdUL; h ^= h >> 33;
                        v[d] += (h & 0xFFFF) / 32768f - 1f;
                    }
                }
                result.Add(new Embedding<float>(v));
            }
            return Task.FromResult(result);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
