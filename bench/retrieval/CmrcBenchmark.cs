// CMRC 2018 trial as a retrieval task: the 256 passages are the corpus, each of the 1,002 questions a query whose only
// relevant document is its own passage. Reports Recall@1/5/20 and MRR (trec_eval semantics), build time, latency.
using System.Diagnostics;
using System.Text.Json;
using RagTune.Knowledge.Analysis;
using RagTune.Knowledge.Lexical;
using RagTune.Knowledge.Metrics;

namespace RagTune.Bench.Retrieval;

internal static class CmrcBenchmark
{
    public static void Run(string path)
    {
        Console.WriteLine($"CMRC 2018 trial: {path}");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var passages = new List<(string Id, string Text)>();
        var qrels = new TrecQrels();
        var queries = new List<(string Id, string Text)>();
        foreach (var p in doc.RootElement.EnumerateArray())
        {
            string cid = p.GetProperty("context_id").GetString()!;
            passages.Add((cid, p.GetProperty("context_text").GetString()!));
            foreach (var qa in p.GetProperty("qas").EnumerateArray())
            {
                string qid = qa.GetProperty("query_id").GetString()!;
                queries.Add((qid, qa.GetProperty("query_text").GetString()!));
                qrels.Add(qid, cid, 1);
            }
        }
        Console.WriteLine($"{passages.Count} passages, {queries.Count} queries");

        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            var sw = Stopwatch.StartNew();
            JiebaDictionary.LoadEmbedded();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        Console.WriteLine($"jieba dict.txt load (built-in, gzip included): first {times[0]:F0} ms, best of 5 {times.Min():F0} ms, median {Latency.Percentile(times, 50):F0} ms");

        Console.WriteLine("| Run | Recall@1 | Recall@5 | Recall@20 | MRR | Build (ms) | Query p50 (ms) | Query p99 (ms) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        Evaluate("BM25-jieba", new AnalyzerOptions { ChineseMode = ChineseMode.Jieba }, passages, queries, qrels);
        Evaluate("BM25-jieba (search mode)", new AnalyzerOptions { ChineseMode = ChineseMode.Jieba, SearchMode = true }, passages, queries, qrels);
        Evaluate("BM25-jieba + stop words", new AnalyzerOptions { ChineseMode = ChineseMode.Jieba, StopWords = true }, passages, queries, qrels);
        Evaluate("BM25-bigram", new AnalyzerOptions { ChineseMode = ChineseMode.Bigram }, passages, queries, qrels);
    }

    private static void Evaluate(string name, AnalyzerOptions analyzer, List<(string Id, string Text)> passages,
        List<(string Id, string Text)> queries, TrecQrels qrels)
    {
        // Build twice and time the second build, and run every query once untimed first, so that dictionary
        // loading and JIT tiering are not in the numbers.
        Bm25Index index = null!;
        double buildMs = 0;
        for (int round = 0; round < 2; round++)
        {
            var sw = Stopwatch.StartNew();
            index = new Bm25Index(new Bm25Options { Analyzer = analyzer });
            foreach (var (id, text) in passages) index.Add(id, text);
            buildMs = sw.Elapsed.TotalMilliseconds;
        }
        foreach (var (_, text) in queries) index.Search(text, 100);

        var run = new TrecRun();
        var latencies = new List<double>(queries.Count);
        foreach (var (qid, text) in queries)
        {
            var t = Stopwatch.StartNew();
            var hits = index.Search(text, 100);
            latencies.Add(t.Elapsed.TotalMilliseconds);
            foreach (var h in hits) run.Add(qid, h.Id, h.Score);
        }
        // Queries with no hit at all still count (as zeros): evaluate every query of the qrels.
        var evaluator = new RetrievalEvaluator([1, 5, 20], maxResultsPerQuery: 100);
        var perQuery = qrels.QueryIds.Select(q => evaluator.EvaluateQuery(run.For(q), qrels.For(q))).ToList();
        double Mean(string m) => perQuery.Average(x => x[m]);
        Console.WriteLine($"| {name} | {Mean("recall_1"):F4} | {Mean("recall_5"):F4} | {Mean("recall_20"):F4} | {Mean("recip_rank"):F4} | {buildMs:F0} | {Latency.Percentile(latencies, 50):F3} | {Latency.Percentile(latencies, 99):F3} |");
    }
}
