// Continuous batching: B concurrent generations against one model through TextGenerator (its DecodeBatcher), B = 1, 4,
// 8 in interleaved rounds, reported the way llama-batched-bench reports its runs: every stream gets a prompt of PP tokens
// and generates TG tokens; the prompts of all streams run in the first step (PP·B tokens, one batched pass), then one
// decode step per token for all streams together. S_PP = PP·B / prefill time, S_TG = (TG − 1)·B / decode time (the
// first token comes from the prefill step), both from the scheduler's own clocks (GenerationUsage). The random weights
// need no text: a tokenizer that decodes every id to "" stands in.
using System.Diagnostics;
using RagTune.Engine.Generation;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Threading;
using RagTune.Engine.Tokenizers;

namespace RagTune.Bench.Engine;

internal static class BatchBench
{
    public static void Run(string dir, WeightFormat format, int prompt, int gen, int[] streams, int trials)
    {
        var sw = Stopwatch.StartNew();
        var model = DecoderModel.Load(dir, format);
        Console.WriteLine($"loaded {dir} as {model.LmHead.Weight.Format} in {sw.Elapsed.TotalSeconds:F1} s, {WorkerPool.Shared.Workers} workers; " +
            $"PP {prompt}, TG {gen}, streams {string.Join(",", streams)}, {trials} interleaved rounds");
        // Every prompt of the largest batch fits one step, so prefill and decode are separate phases as in llama-batched-bench.
        var batching = new BatchingOptions { MaxStreams = streams.Max(), PrefillTokensPerStep = prompt * streams.Max() };
        var generator = new TextGenerator(model, new SilentTokenizer(model.Config.VocabSize), [], batching);
        // Warm-up: page-in of the weights, and JIT of every path measured — a batch's few-rows tiles differ by its size
        // (run cold, a short --gen measured tier-0 code: 4 streams at a third of one stream's rate).
        foreach (int b in streams.Distinct()) RunOnce(generator, Math.Min(prompt, 16), 4, b);
        var results = streams.ToDictionary(b => b, _ => new List<(double Pp, double Tg, double TgCpu, double Others)>());
        for (int t = 0; t < trials; t++)
            foreach (int b in streams)
            {
                var r = RunOnce(generator, prompt, gen, b);
                results[b].Add(r);
                Console.WriteLine($"  round {t + 1} B={b}: S_PP {r.Pp:F1} tok/s, S_TG {r.Tg:F2} tok/s, S_TG per process CPU s {r.TgCpu:F2}, others' CPU {100 * r.Others:F0}% (load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
            }
        static double Median(IEnumerable<double> x) => x.Order().ElementAt(x.Count() / 2);
        double tg1 = Median(results[streams[0]].Select(r => r.Tg)), cpu1 = Median(results[streams[0]].Select(r => r.TgCpu));
        Console.WriteLine("|    B |   S_PP t/s |   S_TG t/s | S_TG / B=" + streams[0] + " | S_TG per CPU s | ratio |");
        foreach (int b in streams)
        {
            var r = results[b];
            double tg = Median(r.Select(x => x.Tg)), cpu = Median(r.Select(x => x.TgCpu));
            Console.WriteLine($"| {b,4} | {Median(r.Select(x => x.Pp)),10:F1} | {tg,10:F2} | {tg / tg1,9:F2}x | {cpu,14:F2} | {cpu / cpu1,4:F2}x |");
        }
        Console.WriteLine($"peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)} MiB");
    }

    /// <summary>B streams with distinct prompts of <paramref name="prompt"/> tokens, <paramref name="gen"/> tokens each.</summary>
    private static (double Pp, double Tg, double TgCpu, double Others) RunOnce(TextGenerator generator, int prompt, int gen, int b)
    {
        int v = generator.Model.Config.VocabSize;
        var options = new GenerationOptions { MaxTokens = gen, StopTokenIds = [] };
        var process = Process.GetCurrentProcess();
        var share = CpuShare.Sample();
        double cpuAtFirst = 0;
        int firsts = 0;
        var tasks = new Task<GenerationUsage>[b];
        for (int s = 0; s < b; s++)
        {
            var ids = Enumerable.Range(0, prompt).Select(i => (int)((i * 7919L + s * 104729L + 13) % v)).ToArray();
            tasks[s] = Consume(generator.GenerateAsync(ids, options), () =>
            {
                // The process's CPU time when the prefill step is over (every stream's first token comes from it).
                if (Interlocked.Increment(ref firsts) == 1)
                {
                    process.Refresh();
                    Volatile.Write(ref cpuAtFirst, process.TotalProcessorTime.TotalSeconds);
                }
            });
        }
        var usages = Task.WhenAll(tasks).GetAwaiter().GetResult();
        process.Refresh();
        double cpuDecode = process.TotalProcessorTime.TotalSeconds - cpuAtFirst;
        double prefill = usages.Max(u => u.PrefillTime.TotalSeconds), decode = usages.Max(u => u.DecodeTime.TotalSeconds);
        return (prompt * b / prefill, (gen - 1) * b / decode, (gen - 1) * b / cpuDecode, CpuShare.Others(share, CpuShare.Sample()));
    }

    private static async Task<GenerationUsage> Consume(IAsyncEnumerable<GenerationUpdate> updates, Action onFirst)
    {
        bool first = true;
        await foreach (var u in updates)
        {
            if (first) onFirst();
            first = false;
            if (u.Usage is { } usage) return usage;
        }
        throw new InvalidOperationException("generation ended without usage");
    }

    /// <summary>Decodes every id to nothing: the benchmark's random model has no vocabulary, and needs none.</summary>
    private sealed class SilentTokenizer(int vocabSize) : ITokenizer, IStreamingDecoder
    {
        public int VocabSize => vocabSize;
        public int[] Encode(string text, bool addSpecialTokens = false, bool parseSpecial = false) => throw new NotSupportedException("the benchmark feeds token ids");
        public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = false) => "";
        public IStreamingDecoder CreateStreamingDecoder(bool skipSpecialTokens = false) => this;
        public int? TokenToId(string token) => null;
        public string? IdToToken(int id) => null;
        public bool IsSpecial(int id) => false;
        public string Add(int id) => "";
        public string Flush() => "";
    }
}
