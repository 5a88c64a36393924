// Decode matrix-vector micro-benchmark: GB/s of weight bytes streamed for one x row, per weight format, with the bf16
// unpack kernel and the previous shift-widen kernel measured in alternation so machine load hits both alike.
using System.Diagnostics;
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Bench.Engine;

internal static class MatVecBench
{
    public static void Run(int rows, int cols)
    {
        var rng = new Random(0);
        var w = new float[(long)rows * cols];
        for (long i = 0; i < w.LongLength; i++) w[i] = rng.NextSingle() - 0.5f;
        var x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = rng.NextSingle() - 0.5f;
        var y = new float[rows];
        var bits = new ushort[w.LongLength];
        ReducedPrecision.FloatToBF16(w, bits);
        var values = new sbyte[w.LongLength];
        var scales = new float[w.LongLength / Q8.BlockSize];
        Q8.Quantize(w, values, scales);
        long elements = (long)rows * cols;
        (string Name, long Bytes, Action Step)[] kernels =
        [
            ("f32", elements * 4, () => MatMul.ForwardParallel(x, w, [], y, 1, cols, rows)),
            ("bf16 unpack", elements * 2, () => MatVecBF16.Forward(x, bits, [], y, 1, cols, rows)),
            ("bf16 shift-widen (previous)", elements * 2, () => MatVecBF16.ForwardShiftWiden(x, bits, [], y, 1, cols, rows)),
            ("q8", elements + elements / Q8.BlockSize * 4, () => Q8.Forward(x, values, scales, [], y, 1, cols, rows)),
        ];
        var rates = kernels.Select(_ => new List<double>()).ToArray();
        var perCpu = kernels.Select(_ => new List<double>()).ToArray();
        using var process = Process.GetCurrentProcess();
        var others = kernels.Select(_ => new List<double>()).ToArray();
        foreach (var k in kernels) for (int i = 0; i < 3; i++) k.Step();
        for (int trial = 0; trial < 7; trial++)
            for (int k = 0; k < kernels.Length; k++)
            {
                // About 0.2 s per measurement, enough to average over the pool's dispatches and the OS's scheduling.
                int reps = (int)Math.Max(3, 4e9 / kernels[k].Bytes);
                var a = CpuShare.Sample();
                process.Refresh();
                var cpu = process.TotalProcessorTime;
                var sw = Stopwatch.StartNew();
                for (int r = 0; r < reps; r++) kernels[k].Step();
                rates[k].Add(kernels[k].Bytes * (double)reps / sw.Elapsed.TotalSeconds / 1e9);
                process.Refresh();
                perCpu[k].Add(kernels[k].Bytes * (double)reps / (process.TotalProcessorTime - cpu).TotalSeconds / 1e9);
                others[k].Add(CpuShare.Others(a, CpuShare.Sample()));
            }
        for (int k = 0; k < kernels.Length; k++)
        {
            var sorted = rates[k].Order().ToList();
            var cpuSorted = perCpu[k].Order().ToList();
            // Per CPU-second: the kernel's own cost, less sensitive to a loaded machine than wall time (with one
            // worker, RAGTUNE_THREADS=1, it excludes the pool's spinning too).
            Console.WriteLine($"matvec {rows}x{cols} {kernels[k].Name,-28} median {sorted[sorted.Count / 2],6:F1} GB/s  best {sorted[^1]:F1}  " +
                $"per CPU-second {cpuSorted[cpuSorted.Count / 2]:F1} GB/s  " +
                $"(others' CPU: {string.Join(" ", others[k].Select(o => $"{100 * o:F0}%"))})");
        }
    }
}
