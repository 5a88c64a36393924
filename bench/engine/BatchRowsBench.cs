// Where a batched decode step's projection time goes: every projection of the Qwen2.5-0.5B shape (24 layers of q, k, v,
// o, gate, up, down, distinct weights so nothing stays cached between layers, then lm_head 151,936 × 896) for B
// activation rows, the engine's current few-rows path against the previous one, in interleaved rounds. Reports ms per
// step (one token of B streams) wall clock and per process CPU second (RAGTUNE_THREADS=1: the kernel's own cost).
using System.Diagnostics;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Bench.Engine;

internal static class BatchRowsBench
{
    private static readonly (string Name, int Out, int In)[] LayerShapes =
        [("q", 896, 896), ("k", 128, 896), ("v", 128, 896), ("o", 896, 896), ("gate", 4864, 896), ("up", 4864, 896), ("down", 896, 4864)];

    public static void Run(WeightFormat format, int rows, int layers, int trials)
    {
        var fill = new float[1 << 16];
        var rng = new Random(0);
        for (int i = 0; i < fill.Length; i++) fill[i] = rng.NextSingle() - 0.5f;
        WeightMatrix Weight(int outF, int inF)
        {
            var w = new float[(long)outF * inF];
            for (long i = 0; i < w.LongLength; i += fill.Length) fill.AsSpan(0, (int)Math.Min(fill.Length, w.LongLength - i)).CopyTo(w.AsSpan((int)i));
            return WeightMatrix.Convert(w, outF, inF, format);
        }
        var groups = LayerShapes.Select(s => (s.Name, Weights: Enumerable.Range(0, layers).Select(_ => Weight(s.Out, s.In)).ToArray())).ToList();
        groups.Add(("lm_head", [Weight(151936, 896)]));
        var x = new float[rows * 4864];
        for (int i = 0; i < x.Length; i++) x[i] = fill[i % fill.Length];
        var y = new float[rows * 151936];

        (string Name, Action<WeightMatrix> Multiply)[] kernels =
        [
            ("previous", w => Previous(w, x, y, rows)),
            ("now", w => MatVecBatch.Multiply(w, default, x, y, rows)),
        ];

        Console.WriteLine($"{format}, {rows} rows, {layers} layers + lm_head, {trials} interleaved rounds");
        var ms = new double[kernels.Length, groups.Count, trials];
        var cpu = new double[kernels.Length, groups.Count, trials];
        using var process = Process.GetCurrentProcess();
        foreach (var k in kernels) foreach (var g in groups) foreach (var w in g.Weights) k.Multiply(w);  // warm-up
        for (int t = 0; t < trials; t++)
            for (int k = 0; k < kernels.Length; k++)
                for (int g = 0; g < groups.Count; g++)
                {
                    process.Refresh();
                    var cpu0 = process.TotalProcessorTime;
                    var sw = Stopwatch.StartNew();
                    foreach (var w in groups[g].Weights) kernels[k].Multiply(w);
                    ms[k, g, t] = sw.Elapsed.TotalMilliseconds;
                    process.Refresh();
                    cpu[k, g, t] = (process.TotalProcessorTime - cpu0).TotalMilliseconds;
                }
        static double Median(double[,,] a, int k, int g)
        {
            var v = Enumerable.Range(0, a.GetLength(2)).Select(t => a[k, g, t]).Order().ToList();
            return v[v.Count / 2];
        }
        Console.WriteLine($"| projection | {string.Join(" | ", kernels.Select(k => $"{k.Name} ms | {k.Name} CPU ms"))} | wall ratio |");
        double[] total = new double[kernels.Length], totalCpu = new double[kernels.Length];
        for (int g = 0; g < groups.Count; g++)
        {
            var cells = Enumerable.Range(0, kernels.Length).Select(k => $"{Median(ms, k, g),8:F2} | {Median(cpu, k, g),8:F2}");
            for (int k = 0; k < kernels.Length; k++) { total[k] += Median(ms, k, g); totalCpu[k] += Median(cpu, k, g); }
            Console.WriteLine($"| {groups[g].Name,-10} | {string.Join(" | ", cells)} | {Median(ms, 0, g) / Median(ms, 1, g),5:F2}x |");
        }
        Console.WriteLine($"| step total | {string.Join(" | ", Enumerable.Range(0, kernels.Length).Select(k => $"{total[k],8:F2} | {totalCpu[k],8:F2}"))} | {total[0] / total[1],5:F2}x |");
        Console.WriteLine($"load {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    /// <summary>The batched product as it was: f32 / bf16 through the 4-rows kernel, the rest through WeightMatrix.Multiply.</summary>
    private static void Previous(WeightMatrix w, float[] x, float[] y, int rows)
    {
        if (w.Format == WeightFormat.F32) MatVecBatchPrevious.Forward(x, w.Float32, default, y, rows, w.Cols, w.Rows);
        else if (w.Format == WeightFormat.BF16) MatVecBatchPrevious.Forward(x, default, w.BF16Bits, y, rows, w.Cols, w.Rows);
        else w.Multiply(x.AsSpan(0, rows * w.Cols), default, y.AsSpan(0, rows * w.Rows), rows);
    }
}
