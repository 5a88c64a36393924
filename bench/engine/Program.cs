// Engine benchmarks. Usage (bench/run-engine.sh drives these):
//   checkpoint DIR f32|bf16 [LAYERS]          write (or reuse) a random Qwen2.5-0.5B-shaped checkpoint
//   model DIR [--format auto|f32|bf16|q8] [--prompt 256] [--gen 64] [--trials 3]   prefill and decode tok/s, peak RSS
//             [--adapter R]                    also a session with a random rank-R LoRA adapter on q/k/v/o/gate/up/down,
//                                              trials interleaved with the base session on the same model: base vs adapter
//   gemm [M N K] [--format f32|bf16|q8]        GEMM GFLOP/s (default 256 4864 896 = prompt × intermediate × hidden),
//                                              the weight B in the given format (bf16 widened while packing; Q8 × int8 activations)
//              [--layout transb|plain|transa]  f32 only: A·Bᵀ (forward), A·B (dX = dY·W), Aᵀ·B (dW += dYᵀ·X) with the same sizes
//   prefetch DIR [--format F] [--prompt 256] [--rounds 15] [--tokens 8]   decode at software-prefetch distances 0/2/4/8 KiB, interleaved in one process
//   rows [--format f32|bf16|q8] [--rows 8] [--layers 24] [--trials 5]
//                                              a batched decode step's projections for ROWS streams (BatchRowsBench.cs):
//                                              ms per step per projection, the few-rows kernels now against the previous ones
//   dispatch                                   worker pool vs Parallel.For: cost of one empty parallel step
//   matvec [ROWS COLS]                         decode matrix-vector GB/s of weights read, f32 / bf16 (unpack and the
//                                              previous shift-widen kernel, interleaved) / q8; default 4864x896 and 151936x896
//   lora [RANK]                                the LoRA decode update alone on one thread (u = scale·A·x, then B·u per output
//                                              row) for every projection of the Qwen2.5-0.5B shape: ms per token
//   batch DIR [--format ...] [--prompt 128] [--gen 64] [--streams 1,4,8] [--trials 3]
//                                              continuous batching: B concurrent generations on one model, S_PP / S_TG
//                                              as llama-batched-bench reports them (BatchBench.cs)
//   wide [FILTER] [--trials 9]                 256-bit vs 512-bit paths of each kernel that has both (WideBench.cs),
//                                              the cases whose name contains FILTER
//   flash [T] [--heads 16] [--kv-heads 8] [--head-dim 128]   training attention (AttentionFlash) forward and backward,
//                                              causal, one layer's heads (default: the Qwen3-0.6B shape): GFLOP/s per
//                                              second of this thread's CPU time with RAGTUNE_THREADS=1
//   accuracy FIXTURE_DIR...                    bf16 / Q8 vs PyTorch fp32 golden logits: max |Δlogit|, mean NLL change
using System.Diagnostics;
using RagTune.Bench.Engine;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using RagTune.Engine.Threading;
using RagTune.Engine.Training;

string mode = args.Length > 0 ? args[0] : "help";
// The vector path and the CPU's flags head every measurement (the CPU can change between runs; RESULTS.md records them).
if (mode is "model" or "gemm" or "matvec" or "batch" or "wide" or "rows") Console.WriteLine("kernels: " + KernelDispatch.Describe());
switch (mode)
{
    case "checkpoint":
        QwenCheckpoint.Ensure(args[1], args[2] == "bf16" ? DType.BF16 : DType.F32, args.Length > 3 ? int.Parse(args[3]) : QwenCheckpoint.Layers);
        break;
    case "model":
        RunModel(args[1], FormatOption(), Option("--prompt", 256), Option("--gen", 64), Option("--trials", 3), Option("--adapter", 0));
        break;
    case "batch":
    {
        int si = Array.IndexOf(args, "--streams");
        int[] streams = si >= 0 ? [.. args[si + 1].Split(',').Select(int.Parse)] : [1, 4, 8];
        BatchBench.Run(args[1], FormatOption(), Option("--prompt", 128), Option("--gen", 64), streams, Option("--trials", 3));
        break;
    }
    case "gemm":
    {
        bool sizes = args.Length > 3 && !args[1].StartsWith("--", StringComparison.Ordinal);
        int li = Array.IndexOf(args, "--layout");
        RunGemm(sizes ? int.Parse(args[1]) : 256, sizes ? int.Parse(args[2]) : 4864, sizes ? int.Parse(args[3]) : 896, FormatOption(),
            li >= 0 ? args[li + 1] : "transb");
        break;
    }
    case "rows":
        BatchRowsBench.Run(FormatOption(), Option("--rows", 8), Option("--layers", 24), Option("--trials", 5));
        break;
    case "prefetch":
        RunPrefetch(args[1], FormatOption(), Option("--prompt", 256), Option("--rounds", 15), Option("--tokens", 8));
        break;
    case "dispatch":
        RunDispatch();
        break;
    case "matvec":
        if (args.Length > 2) MatVecBench.Run(int.Parse(args[1]), int.Parse(args[2]));
        else { MatVecBench.Run(4864, 896); MatVecBench.Run(151936, 896); }
        break;
    case "lora":
        RunLora(args.Length > 1 ? int.Parse(args[1]) : 8);
        break;
    case "wide":
        WideBench.Run(args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : "", Option("--trials", 9));
        break;
    case "accuracy":
        foreach (var dir in args.Skip(1)) Accuracy.Report(dir);
        break;
    case "flash":
        RunFlash(args.Length > 1 ? int.Parse(args[1]) : 2048, Option("--heads", 16), Option("--kv-heads", 8), Option("--head-dim", 128));
        break;
    default:
        Console.Error.WriteLine("usage: checkpoint DIR f32|bf16 [LAYERS] | model DIR [--prompt N] [--gen N] [--trials N] [--adapter R] | gemm [M N K] | dispatch | matvec [ROWS COLS]");
        return 2;
}
return 0;

WeightFormat FormatOption()
{
    int i = Array.IndexOf(args, "--format");
    return i < 0 ? WeightFormat.Checkpoint : args[i + 1] switch
    {
        "f32" => WeightFormat.F32,
        "bf16" => WeightFormat.BF16,
        "q8" => WeightFormat.Q8,
        _ => WeightFormat.Checkpoint,
    };
}

int Option(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
}

static void Report(string name, List<double> values, List<double> others, string unit, bool lowerIsBetter = false)
{
    var sorted = values.OrderBy(v => lowerIsBetter ? -v : v).ToList();
    Console.WriteLine($"{name,-48} median {sorted[sorted.Count / 2],9:F2} {unit}  best {sorted[^1]:F2}  worst {sorted[0]:F2}  " +
        $"(others' CPU: {string.Join(" ", others.Select(o => $"{100 * o:F0}%"))} of machine)");
}

// Decode with software prefetch at several distances in one process and one session, in short interleaved blocks,
// so that the load of a shared machine falls on every distance alike; prints the median tok/s and the median of
// each distance's per-round ratio to distance 0 (off).
static void RunPrefetch(string dir, WeightFormat format, int prompt, int rounds, int tokens)
{
    int[] distances = [0, 2048, 4096, 8192];
    var model = DecoderModel.Load(dir, format);
    var session = model.CreateSession(prompt + (rounds + 1) * distances.Length * tokens + tokens, chunk: prompt);
    var ids = Enumerable.Range(0, prompt).Select(i => (i * 7919 + 13) % model.Config.VocabSize).ToArray();
    int next = ArgMax(session.Forward(ids));
    for (int g = 0; g < tokens; g++) next = ArgMax(session.Forward([next]));  // warm-up
    var tps = distances.Select(_ => new List<double>()).ToArray();
    var sw = new Stopwatch();
    for (int r = 0; r < rounds; r++)
        for (int d = 0; d < distances.Length; d++)
        {
            StreamPrefetch.Distance = distances[(d + r) % distances.Length];  // rotate the order round by round
            sw.Restart();
            for (int g = 0; g < tokens; g++) next = ArgMax(session.Forward([next]));
            tps[(d + r) % distances.Length].Add(tokens / sw.Elapsed.TotalSeconds);
        }
    double Median(IEnumerable<double> v) { var s = v.Order().ToList(); return s[s.Count / 2]; }
    Console.WriteLine($"{format}, {WorkerPool.Shared.Workers} workers, ctx {prompt}..{session.Length}, {rounds} rounds of {tokens} tokens per distance");
    for (int d = 0; d < distances.Length; d++)
        Console.WriteLine($"prefetch {distances[d],5} B: median {Median(tps[d]):F2} tok/s, per-round ratio to off: median " +
            $"{Median(tps[d].Zip(tps[0], (a, b) => a / b)):F3}");
}

static void RunModel(string dir, WeightFormat format, int prompt, int gen, int trials, int adapterRank)
{
    var sw = Stopwatch.StartNew();
    var model = DecoderModel.Load(dir, format);
    Console.WriteLine($"loaded {dir} as {model.LmHead.Weight.Format} in {sw.Elapsed.TotalSeconds:F1} s, {model.ParameterCount / 1e6:F0}M parameters, " +
        $"{WorkerPool.Shared.Workers} workers");
    var variants = new List<(string Name, DecoderSession Session)> { ("", model.CreateSession(prompt + gen, chunk: prompt)) };
    if (adapterRank > 0)
    {
        var adapters = RandomAdapter(model, adapterRank);
        Console.WriteLine($"adapter: rank {adapterRank} on q/k/v/o/gate/up/down, {adapters.ParameterCount / 1e6:F2}M parameters");
        variants[0] = ("base ", variants[0].Session);
        variants.Add(($"adapter r={adapterRank} ", model.CreateSession(prompt + gen, chunk: prompt, adapters: adapters)));
    }
    var ids = Enumerable.Range(0, prompt).Select(i => (i * 7919 + 13) % model.Config.VocabSize).ToArray();
    foreach (var (_, session) in variants)
    {
        session.Forward(ids);  // warm-up: JIT, page-in of the weights
        session.Reset();
    }
    var results = variants.Select(_ => (Prefill: new List<double>(), PrefillCpu: new List<double>(), Decode: new List<double>(),
        DecodeCpu: new List<double>(), PrefillOthers: new List<double>(), DecodeOthers: new List<double>())).ToList();
    double perToken = 0;
    for (int t = 0; t < trials; t++)
        for (int v = 0; v < variants.Count; v++)  // interleaved, so a neighbour's load falls on base and adapter alike
        {
            var session = variants[v].Session;
            var r = results[v];
            session.Reset();
            var a = CpuShare.Sample();
            double cpu0 = CpuShare.ThreadCpuSeconds();
            sw.Restart();
            var logits = session.Forward(ids);
            r.Prefill.Add(prompt / sw.Elapsed.TotalSeconds);
            r.PrefillCpu.Add(prompt / (CpuShare.ThreadCpuSeconds() - cpu0));
            r.PrefillOthers.Add(CpuShare.Others(a, CpuShare.Sample()));
            int next = ArgMax(logits);
            a = CpuShare.Sample();
            long dispatches = WorkerPool.Shared.Dispatches;
            cpu0 = CpuShare.ThreadCpuSeconds();
            sw.Restart();
            for (int g = 0; g < gen; g++) next = ArgMax(session.Forward([next]));
            r.Decode.Add(gen / sw.Elapsed.TotalSeconds);
            r.DecodeCpu.Add(gen / (CpuShare.ThreadCpuSeconds() - cpu0));
            perToken = (WorkerPool.Shared.Dispatches - dispatches) / (double)gen;
            r.DecodeOthers.Add(CpuShare.Others(a, CpuShare.Sample()));
        }
    for (int v = 0; v < variants.Count; v++)
    {
        var (name, r) = (variants[v].Name, results[v]);
        Report($"{name}prefill {prompt} tokens (last-token logits)", r.Prefill, r.PrefillOthers, "tok/s");
        // One worker: all the work is on this thread, so tokens per second of its CPU time hold on a loaded machine.
        if (WorkerPool.Shared.Workers == 1) Report("  per second of this thread's CPU time", r.PrefillCpu, r.PrefillOthers, "tok/s");
        Report($"{name}decode {gen} tokens (ctx {prompt}->{prompt + gen})", r.Decode, r.DecodeOthers, "tok/s");
        if (WorkerPool.Shared.Workers == 1) Report("  per second of this thread's CPU time", r.DecodeCpu, r.DecodeOthers, "tok/s");
    }
    if (variants.Count > 1)
    {
        double Median(List<double> x) => x.Order().ElementAt(x.Count / 2);
        Console.WriteLine($"adapter / base decode: {Median(results[1].Decode) / Median(results[0].Decode):F3} (medians, wall clock)");
        if (WorkerPool.Shared.Workers == 1)
            Console.WriteLine($"adapter / base decode: {Median(results[1].DecodeCpu) / Median(results[0].DecodeCpu):F3} (medians, per CPU second)");
    }
    Console.WriteLine($"worker-pool dispatches per decoded token: {perToken:F1} ({model.Layers.Count} layers)");
    Console.WriteLine($"peak RSS {Process.GetCurrentProcess().PeakWorkingSet64 / (1 << 20)} MiB{ResidentSplit()}");
}

// Linux: the resident set now split into private memory and mapped file pages (weights read in place from a mapped file
// count in RSS once touched, but they are the page cache's, shared and droppable, not copies).
static string ResidentSplit()
{
    if (!File.Exists("/proc/self/status")) return "";
    var lines = File.ReadAllLines("/proc/self/status");
    string Kib(string key) => lines.FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
    return $" (now: anonymous {Kib("RssAnon")}, file-backed {Kib("RssFile")})";
}

// The adapter's share of a decoded token, without the base: what the fused path adds per token, on this thread's CPU time.
static void RunLora(int rank)
{
    (int In, int Out)[] shapes = [(896, 896), (896, 128), (896, 128), (896, 896), (896, 4864), (896, 4864), (4864, 896)];
    var random = new Random(1);
    float[] Fill(int n) { var a = new float[n]; for (int i = 0; i < n; i++) a[i] = random.NextSingle() - 0.5f; return a; }
    var adapters = Enumerable.Range(0, 24).SelectMany(_ => shapes)
        .Select(s => new LoraAdapter(s.In, s.Out, rank, 2 * rank, false, 0, Fill(rank * s.In), Fill(s.Out * rank))).ToArray();
    var x = Fill(4864);
    var y = new float[4864];
    void Token()
    {
        foreach (var a in adapters) a.AddTo(x.AsSpan(0, a.InFeatures), y.AsSpan(0, a.OutFeatures), 1);  // Down, then AddUp
    }
    Token();
    var perToken = new List<double>();
    for (int t = 0; t < 9; t++)
    {
        double cpu0 = CpuShare.ThreadCpuSeconds();
        for (int i = 0; i < 10; i++) Token();
        perToken.Add((CpuShare.ThreadCpuSeconds() - cpu0) / 10 * 1e3);
    }
    perToken.Sort();
    long bytes = adapters.Sum(a => a.ParameterCount) * 4;
    Console.WriteLine($"LoRA r={rank}, 168 projections ({bytes / 1e6:F1} MB of A and B): {perToken[4]:F2} ms per token of this thread's CPU time " +
        $"(best {perToken[0]:F2}, worst {perToken[^1]:F2}), {bytes / (perToken[0] * 1e-3) / 1e9:F1} GB/s at best");
}

// A LoRA adapter on every projection with random A and B (B is not left at zero: the bench must not measure a no-op).
static AdapterSet RandomAdapter(DecoderModel model, int rank)
{
    var random = new Random(1);
    var adapters = PeftAdapter.CreateNew(model.LayerLinears, new LoraOptions { Rank = rank, Alpha = 2 * rank }, random);
    foreach (var (_, a) in adapters.Modules)
        for (int i = 0; i < a.B.Length; i++) a.B[i] = (random.NextSingle() - 0.5f) * 0.01f;
    return adapters;
}

static int ArgMax(ReadOnlySpan<float> v)
{
    int best = 0;
    for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
    return best;
}

static void RunGemm(int m, int n, int k, WeightFormat format, string layout)
{
    var rng = new Random(0);
    float[] Fill(long count) { var a = new float[count]; for (long i = 0; i < count; i++) a[i] = rng.NextSingle() - 0.5f; return a; }
    var x = Fill((long)m * k);
    var w = Fill((long)n * k);  // [N, K]: a Linear weight
    var y = new float[(long)m * n];
    var wb = new ushort[format == WeightFormat.BF16 ? w.Length : 0];
    ReducedPrecision.FloatToBF16(format == WeightFormat.BF16 ? w : [], wb);
    var wq = new sbyte[format == WeightFormat.Q8 ? w.Length : 0];
    var ws = new float[wq.Length / Q8.BlockSize];
    if (format == WeightFormat.Q8) Q8.Quantize(w, wq, ws);
    void Product()
    {
        if (format == WeightFormat.BF16) Gemm.MultiplyTransB(x, k, wb, k, y, n, m, n, k);
        else if (format == WeightFormat.Q8) Gemm.MultiplyTransB(x, k, wq, ws, y, n, m, n, k);
        else if (layout == "plain") Gemm.Multiply(x, k, w, n, y, n, m, n, k);        // x [M, K], w read as [K, N]
        else if (layout == "transa") Gemm.MultiplyTransA(x, m, w, n, y, n, m, n, k, accumulate: true);  // x read as [K, M]
        else Gemm.MultiplyTransB(x, k, w, k, y, n, m, n, k);
    }
    double flop = 2.0 * m * n * k;
    for (int i = 0; i < 3; i++) Product();
    int reps = Math.Max(1, (int)(2e9 / flop));
    List<double> rates = [], others = [], perCpu = [], perProcessCpu = [];
    for (int t = 0; t < 9; t++)
    {
        var a = CpuShare.Sample();
        double cpu0 = CpuShare.ThreadCpuSeconds(), process0 = CpuShare.ProcessCpuSeconds();
        var sw = Stopwatch.StartNew();
        for (int r = 0; r < reps; r++) Product();
        rates.Add(flop * reps / sw.Elapsed.TotalSeconds / 1e9);
        perCpu.Add(flop * reps / (CpuShare.ThreadCpuSeconds() - cpu0) / 1e9);
        perProcessCpu.Add(flop * reps / (CpuShare.ProcessCpuSeconds() - process0) / 1e9);
        others.Add(CpuShare.Others(a, CpuShare.Sample()));
    }
    string b = format switch { WeightFormat.BF16 => " bf16", WeightFormat.Q8 => " q8", _ => "" };
    string shape = layout switch { "plain" => $"{m}x{k} · {k}x{n}", "transa" => $"({k}x{m})ᵀ · {k}x{n} (+=)", _ => $"{m}x{k} · ({n}x{k}{b})ᵀ" };
    Report($"{(b.Length == 0 ? "sgemm" : "gemm")} {shape}, {WorkerPool.Shared.Workers} workers", rates, others, "GFLOP/s");
    // With one worker all the work runs on this thread, so FLOP per second of its CPU time is the kernel's speed per
    // core even when other processes take turns on the core (a loaded machine); cache sharing still counts against it.
    if (WorkerPool.Shared.Workers == 1) Report("  per second of this thread's CPU time", perCpu, others, "GFLOP/s");
    // With several workers, FLOP per second of the whole process's CPU time: a worker waiting at a barrier spins, so
    // this is the per-core rate less what imbalance between the workers wastes (a share of it on a loaded machine).
    else Report("  per second of the process's CPU time", perProcessCpu, others, "GFLOP/s");
}

static void RunFlash(int t, int heads, int kvHeads, int d)
{
    var rng = new Random(0);
    float[] Fill(int count) { var a = new float[count]; for (int i = 0; i < count; i++) a[i] = rng.NextSingle() - 0.5f; return a; }
    var (q, k, v, dout) = (Fill(t * heads * d), Fill(t * kvHeads * d), Fill(t * kvHeads * d), Fill(t * heads * d));
    var (o, lse) = (new float[t * heads * d], new float[heads * t]);
    var (dq, dk, dv) = (new float[q.Length], new float[k.Length], new float[v.Length]);
    // Causal: S = Q·Kᵀ and O = P·V over half the T×T square per head; the backward makes S, dP, dV, dQ and dK.
    double half = 2.0 * heads * t * (double)t / 2 * d, forwardFlop = 2 * half, backwardFlop = 5 * half;
    void Forward() => AttentionFlash.Forward(q, k, v, o, lse, t, heads, kvHeads, d, causal: true);
    void Backward() => AttentionFlash.Backward(dout, q, k, v, o, lse, dq, dk, dv, t, heads, kvHeads, d, causal: true);
    Forward();
    Backward();
    foreach (var (name, step, flop) in new[] { ("forward", (Action)Forward, forwardFlop), ("backward", Backward, backwardFlop) })
    {
        List<double> rates = [], perCpu = [], others = [];
        for (int trial = 0; trial < 5; trial++)
        {
            var a = CpuShare.Sample();
            double cpu0 = CpuShare.ThreadCpuSeconds();
            var sw = Stopwatch.StartNew();
            step();
            rates.Add(flop / sw.Elapsed.TotalSeconds / 1e9);
            perCpu.Add(flop / (CpuShare.ThreadCpuSeconds() - cpu0) / 1e9);
            others.Add(CpuShare.Others(a, CpuShare.Sample()));
        }
        Report($"flash attention {name}, T {t}, {heads}/{kvHeads} heads × {d}, {WorkerPool.Shared.Workers} workers", rates, others, "GFLOP/s");
        if (WorkerPool.Shared.Workers == 1) Report("  per second of this thread's CPU time", perCpu, others, "GFLOP/s");
    }
}

static void RunDispatch()
{
    var pool = WorkerPool.Shared;
    var work = new NoWork();
    const int n = 20000;
    for (int i = 0; i < 1000; i++) pool.Run(work);
    List<double> poolUs = [], forUs = [], poolOthers = [], forOthers = [];
    for (int t = 0; t < 5; t++)
    {
        var a = CpuShare.Sample();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) pool.Run(work);
        poolUs.Add(sw.Elapsed.TotalMicroseconds / n);
        poolOthers.Add(CpuShare.Others(a, CpuShare.Sample()));
        a = CpuShare.Sample();
        sw.Restart();
        for (int i = 0; i < n; i++) Parallel.For(0, pool.Workers, w => work.Execute(w, pool.Workers));
        forUs.Add(sw.Elapsed.TotalMicroseconds / n);
        forOthers.Add(CpuShare.Others(a, CpuShare.Sample()));
    }
    Report("WorkerPool.Run, empty work", poolUs, poolOthers, "µs", lowerIsBetter: true);
    Report("Parallel.For, empty work", forUs, forOthers, "µs", lowerIsBetter: true);
}

internal sealed class NoWork : IParallelWork
{
    public void Execute(int worker, int workers) { }
}
