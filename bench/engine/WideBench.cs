// The 256-bit vs 512-bit micro-benchmark (bench/engine `wide`): each kernel that has both paths runs at both widths
// in one process (KernelDispatch.Override), trials interleaved so that machine load falls on both alike, and the ratio
// of the medians is printed. The kernels that go through System.Numerics.Tensors (RmsNorm, LayerNorm, Softmax) pick
// their own width at run time; compare those by running this bench again with DOTNET_PreferredVectorBitWidth=256.
// Run it with RAGTUNE_THREADS=1: then all the work is on this thread, and microseconds of its CPU time per call hold on
// a loaded machine (printed besides wall time; the ratio is of the CPU-time medians).
using System.Diagnostics;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;
using RagTune.Engine.Threading;

namespace RagTune.Bench.Engine;

internal static class WideBench
{
    private sealed record Case(string Name, VectorWidth Width, Action Step);

    /// <summary>Runs the cases whose name contains <paramref name="filter"/> (all when empty), <paramref name="trials"/>
    /// interleaved trials each.</summary>
    public static void Run(string filter, int trials)
    {
        var rng = new Random(0);
        float[] Fill(long n) { var a = new float[n]; for (long i = 0; i < n; i++) a[i] = rng.NextSingle() - 0.5f; return a; }
        var cases = new List<Case>();
        void Both(string name, Action step)
        {
            foreach (var width in KernelDispatch.Available) cases.Add(new Case(name, width, step));
        }
        void Trim() => cases.RemoveAll(c => !c.Name.Contains(filter, StringComparison.Ordinal));

        // Decode attention over the KV cache, Qwen2.5-0.5B shape (14 heads, 2 KV heads, D 64), one query row.
        foreach (int ctx in new[] { 64, 256, 2048 })
        {
            var shape = new AttentionShape(1, 14, 2, 64, ctx, ctx - 1, ctx, true);
            var q = Fill(14 * 64);
            var k = Fill(2L * ctx * 64);
            var v = Fill(2L * ctx * 64);
            var o = new float[14 * 64];
            var scores = new float[ctx];
            cases.Add(new Case($"attention decode ctx {ctx}, per (row, head) loop", VectorWidth.Bits256,
                () => Attention.ForwardPairs(q, k, v, o, scores, shape)));
            Both($"attention decode ctx {ctx}, grouped GEMMs", () => AttentionBlocked.ForwardGrouped(q, k, v, o, shape));
        }

        // Prefill attention, 256-row chunk after 1,792 cached tokens (the last chunk of a 2,048-token prompt).
        {
            var shape = new AttentionShape(256, 14, 2, 64, 2048, 1792, 2048, true);
            var q = Fill(256 * 14 * 64);
            var k = Fill(2L * 2048 * 64);
            var v = Fill(2L * 2048 * 64);
            var o = new float[256 * 14 * 64];
            Both("attention prefill 256 rows at 1792..2047, blocked", () => AttentionBlocked.Forward(q, k, v, o, shape));
        }

        // Decode matvecs: the MLP's gate/up shape (4.4 MB of bf16, within L3) and the lm_head's (272 MB, from DRAM).
        foreach (int rows in new[] { 4864, 151936 })
        {
            const int cols = 896;
            if (!$"matvec {rows}x{cols} bf16".Contains(filter, StringComparison.Ordinal)
                && !$"matvec {rows}x{cols} q8".Contains(filter, StringComparison.Ordinal)) continue;  // spare the 680 MB
            var w = Fill((long)rows * cols);
            var x = Fill(cols);
            var y = new float[rows];
            var bits = new ushort[w.Length];
            ReducedPrecision.FloatToBF16(w, bits);
            var values = new sbyte[w.Length];
            var scales = new float[w.Length / Q8.BlockSize];
            Q8.Quantize(w, values, scales);
            cases.Add(new Case($"matvec {rows}x{cols} bf16 (256-bit only)", VectorWidth.Bits256, () => MatVecBF16.Forward(x, bits, [], y, 1, cols, rows)));
            Both($"matvec {rows}x{cols} q8", () => Q8.Forward(x, values, scales, [], y, 1, cols, rows));
        }

        // RoPE of a 256-row chunk's queries and a decode row's queries.
        {
            var inv = Enumerable.Range(0, 32).Select(i => MathF.Pow(1e6f, -i / 32f)).ToArray();
            var cos = new float[2048 * 32];
            var sin = new float[2048 * 32];
            Rope.BuildTables(inv, 2048, cos, sin);
            var x = Fill(256 * 14 * 64);
            Both("rope 256 rows x 14 heads, D 64", () => Rope.Apply(x, 256, 14, 64, 0, cos, sin));
            Both("rope 1 row x 14 heads, D 64", () => Rope.Apply(x, 1, 14, 64, 100, cos, sin));
        }

        // Through System.Numerics.Tensors: the width follows the runtime (see the header), not the override.
        {
            var x = Fill(256 * 896);
            var y = new float[x.Length];
            var g = Fill(896);
            var b = Fill(896);
            var s = Fill(2048);
            cases.Add(new Case("rmsnorm 256x896 (TensorPrimitives)", KernelDispatch.Width, () => RmsNorm.Forward(x, g, 1e-6f, y)));
            cases.Add(new Case("layernorm 256x896 (TensorPrimitives)", KernelDispatch.Width, () => LayerNorm.Forward(x, g, b, 1e-6f, y)));
            cases.Add(new Case("softmax 2048 (TensorPrimitives)", KernelDispatch.Width, () => { x.AsSpan(0, 2048).CopyTo(s); Softmax.Forward(s); }));
        }

        Trim();
        var micros = cases.Select(_ => new List<double>()).ToArray();
        var cpuMicros = cases.Select(_ => new List<double>()).ToArray();
        var reps = new int[cases.Count];
        for (int c = 0; c < cases.Count; c++)
            using (KernelDispatch.Override(cases[c].Width))
            {
                var sw = Stopwatch.StartNew();
                int n = 0;
                while (sw.Elapsed.TotalSeconds < 0.05 || n < 3) { cases[c].Step(); n++; }
                reps[c] = Math.Max(3, (int)(n * 0.1 / sw.Elapsed.TotalSeconds));  // ~0.1 s per measurement
            }
        for (int trial = 0; trial < trials; trial++)
            for (int c = 0; c < cases.Count; c++)
                using (KernelDispatch.Override(cases[c].Width))
                {
                    double cpu0 = CpuShare.ThreadCpuSeconds();
                    var sw = Stopwatch.StartNew();
                    for (int r = 0; r < reps[c]; r++) cases[c].Step();
                    micros[c].Add(sw.Elapsed.TotalMicroseconds / reps[c]);
                    cpuMicros[c].Add((CpuShare.ThreadCpuSeconds() - cpu0) * 1e6 / reps[c]);
                }
        Console.WriteLine($"{WorkerPool.Shared.Workers} workers" + (WorkerPool.Shared.Workers > 1 ? " (CPU time then misses the pool's share: set RAGTUNE_THREADS=1)" : ""));
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        var narrow = new Dictionary<string, double>();
        for (int c = 0; c < cases.Count; c++)
        {
            double m = Median(cpuMicros[c]);
            string ratio = "";
            if (cases[c].Width == VectorWidth.Bits256) narrow[cases[c].Name] = m;
            else if (narrow.TryGetValue(cases[c].Name, out double n256)) ratio = $"  512/256 speed {n256 / m:F2}x";
            Console.WriteLine($"{cases[c].Name,-52} {(int)cases[c].Width,3}-bit  this thread's CPU {m,9:F1} us (median)  " +
                $"wall median {Median(micros[c]),9:F1} best {micros[c].Min(),9:F1}{ratio}");
        }
    }
}
