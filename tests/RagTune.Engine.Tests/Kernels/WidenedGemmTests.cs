// Training's GEMMs over a frozen reduced-precision weight (bf16, Q8, GGUF 4-bit blocks), widened a tile at a time inside
// the packing: X·Wᵀ and dY·W against double loops over the dequantised weight, on both vector widths, with edge panels,
// two passes over M, several K blocks and 256-weight block columns shared by several panels; and no float copy of W.
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public sealed class WidenedGemmTests
{
    public static TheoryData<WeightFormat, int, int, int> Cases => new()
    {
        { WeightFormat.BF16, 7, 70, 96 },
        { WeightFormat.Q8, 13, 70, 288 },
        { WeightFormat.Q4_0, 400, 37, 160 },   // two passes over M
        { WeightFormat.Q4_K, 13, 70, 768 },    // three K blocks of 256 forward; three 256-wide strips backward
        { WeightFormat.Q6_K, 9, 33, 512 },
        { WeightFormat.Q4_K, 391, 18, 256 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_input_gradient_match_double_loops_over_the_dequantised_weight(WeightFormat format, int tokens, int rows, int cols)
    {
        var random = new Random(rows * cols + tokens);
        var (matrix, dense) = Make(format, rows, cols, random);
        var x = Values(random, tokens * cols);
        var dy = Values(random, tokens * rows);
        var bias = Values(random, rows);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var y = new float[tokens * rows];
                matrix.Multiply(x, bias, y, tokens, alwaysGemm: true);
                var dx = Enumerable.Repeat(0.25f, tokens * cols).ToArray();
                matrix.MultiplyTransposedAccumulate(dy, dx, tokens);

                for (int t = 0; t < tokens; t++)
                {
                    for (int r = 0; r < rows; r++)
                    {
                        double s = bias[r];
                        for (int c = 0; c < cols; c++) s += (double)x[t * cols + c] * dense[r * cols + c];
                        Assert.True(Math.Abs(s - y[t * rows + r]) < 1e-3, $"{format} {width} y[{t}, {r}] = {y[t * rows + r]}, expected {s}");
                    }
                    for (int c = 0; c < cols; c++)
                    {
                        double s = 0.25;
                        for (int r = 0; r < rows; r++) s += (double)dy[t * rows + r] * dense[r * cols + c];
                        Assert.True(Math.Abs(s - dx[t * cols + c]) < 1e-3, $"{format} {width} dx[{t}, {c}] = {dx[t * cols + c]}, expected {s}");
                    }
                }
            }
    }

    [Theory]
    [InlineData(WeightFormat.Q4_K)]
    [InlineData(WeightFormat.Q8)]
    [InlineData(WeightFormat.BF16)]
    public void No_float_copy_of_the_weight_is_made(WeightFormat format)
    {
        // One token × 256 × 1024 stays on the calling thread (below the GEMM's parallel threshold), so this thread's
        // allocations are all the products make. A fresh thread: its per-thread scratch is allocated here, once.
        const int rows = 256, cols = 1024;
        var (matrix, _) = Make(format, rows, cols, new Random(5));
        long floatCopy = (long)rows * cols * sizeof(float), allocated = 0;
        var thread = new Thread(() =>
        {
            var x = new float[cols];
            var y = new float[rows];
            var dx = new float[cols];
            long before = GC.GetAllocatedBytesForCurrentThread();
            matrix.Multiply(x, default, y, 1, alwaysGemm: true);
            matrix.MultiplyTransposedAccumulate(y, dx, 1);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        });
        thread.Start();
        thread.Join();

        Assert.True(allocated < floatCopy / 2, $"{format}: the products allocated {allocated} bytes; a float copy of W is {floatCopy}");
    }

    /// <summary>A random weight in <paramref name="format"/> and its exact float32 value (what the kernels must widen to).</summary>
    internal static (WeightMatrix Matrix, float[] Dense) Make(WeightFormat format, int rows, int cols, Random random)
    {
        var w = Values(random, rows * cols);
        WeightMatrix matrix = format switch
        {
            WeightFormat.Q4_0 => WeightMatrix.FromGgml(GgmlType.Q4_0, GgmlQuantizer.Quantize(GgmlType.Q4_0, w, cols), rows, cols),
            WeightFormat.Q6_K => WeightMatrix.FromGgml(GgmlType.Q6_K, GgmlQuantizer.Quantize(GgmlType.Q6_K, w, cols), rows, cols),
            _ => WeightMatrix.Convert(w, rows, cols, format),
        };
        Assert.Equal(format, matrix.Format);
        return (matrix, matrix.ToFloat32());
    }

    private static float[] Values(Random random, int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(random.NextDouble() * 2 - 1);
        return v;
    }
}
