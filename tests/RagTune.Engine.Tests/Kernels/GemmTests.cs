// The packed GEMM against its naive twin: all three operand layouts, odd shapes that leave edge tiles in M, N and K,
// bias, accumulation and leading dimensions wider than the matrix.
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;
using RagTune.Engine.Threading;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;

namespace RagTune.Engine.Tests.Kernels;

public class GemmTests
{
    public enum Layout { TransB, Plain, TransA }

    [Theory]
    [InlineData(Layout.TransB, 1, 1, 1)]
    [InlineData(Layout.TransB, 6, 16, 8)]
    [InlineData(Layout.TransB, 7, 17, 9)]
    [InlineData(Layout.TransB, 13, 50, 300)]
    [InlineData(Layout.TransB, 64, 96, 520)]
    [InlineData(Layout.Plain, 5, 33, 7)]
    [InlineData(Layout.Plain, 19, 48, 257)]
    [InlineData(Layout.TransA, 11, 21, 3)]
    [InlineData(Layout.TransA, 30, 40, 270)]
    [InlineData(Layout.TransB, 4, 5, 0)]
    [InlineData(Layout.TransB, 400, 20, 40)]   // two passes over M (MC = 384 rows), 67 micro-panels of 6 rows
    [InlineData(Layout.TransB, 12, 33, 610)]   // three K blocks of equal depth (224 + 224 + 162)
    [InlineData(Layout.TransA, 391, 18, 37)]
    [InlineData(Layout.Plain, 6, 16, 513)]
    [InlineData(Layout.TransB, 6, 32, 8)]      // one full 6×32 tile of the 512-bit path
    [InlineData(Layout.TransB, 13, 97, 41)]    // three wide panels and an edge one, K not a multiple of 8
    [InlineData(Layout.Plain, 8, 64, 30)]
    [InlineData(Layout.TransA, 7, 65, 19)]
    [InlineData(Layout.TransB, 7, 20, 2 * Gemm.KSweep + 300)]   // K deeper than one sweep: three sweeps add into C
    [InlineData(Layout.Plain, 13, 40, Gemm.KSweep + 8)]         // the LM head's input gradient dY·W, K = vocabulary
    [InlineData(Layout.TransA, 5, 9, Gemm.KSweep + 1)]
    public void Agrees_with_naive(Layout layout, int m, int n, int k)
    {
        // Every path this machine can run (the 512-bit one where AVX-512 is there, the 256-bit one always).
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
                foreach (bool accumulate in new[] { false, true })
                    foreach (bool withBias in new[] { false, true })
                        Check(layout, m, n, k, accumulate, withBias, pad: 3);
    }

    [Fact]
    public void BF16_weights_deeper_than_one_sweep_agree_with_naive()
    {
        // Each sweep reads its own K range of the bf16 rows; the bias is added once, by the first.
        int m = 9, n = 35, k = Gemm.KSweep + 520;
        var a = Random(m * k, 3);
        var bits = new ushort[n * k];
        ReducedPrecision.FloatToBF16(Random(n * k, 4), bits);
        var widened = new float[n * k];
        ReducedPrecision.BF16ToFloat(bits, widened);
        var bias = Random(n, 5);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
                foreach (bool accumulate in new[] { false, true })
                {
                    var fast = Random(m * n, 6);
                    var slow = (float[])fast.Clone();
                    Gemm.MultiplyTransB(a, k, bits, k, fast, n, m, n, k, accumulate, bias);
                    Gemm.Naive(a, k, 1, widened, 1, k, slow, n, m, n, k, accumulate, bias);
                    AssertClose(slow, fast, 2e-5f * MathF.Sqrt(k));
                }
    }

    [Fact]
    public void Both_paths_give_the_same_sums_bit_for_bit()
    {
        int m = 50, n = 300, k = 700;
        var a = Random(m * k, 7);
        var b = Random(n * k, 8);
        // Same order of additions per element (bias, then one FMA chain over each K block): bit for bit equal.
        AssertSameBitsOnEveryWidth(m * n, c => Gemm.MultiplyTransB(a, k, b, k, c, n, m, n, k, bias: b.AsSpan(0, n)));
    }

    [Fact]
    public void BF16_weights_give_the_same_sums_on_both_paths_bit_for_bit()
    {
        // Both paths widen the bf16 rows exactly into their panels (32 or 16 wide), so the sums agree to the bit. 70 rows
        // of W: two full 32-row panels and an edge one; K = 300: 37 steps of 8 and a tail of 4.
        int m = 13, n = 70, k = 300;
        var a = Random(m * k, 12);
        var bits = new ushort[n * k];
        ReducedPrecision.FloatToBF16(Random(n * k, 13), bits);
        var narrow = AssertSameBitsOnEveryWidth(m * n, c => Gemm.MultiplyTransB(a, k, bits, k, c, n, m, n, k));
        var widened = new float[n * k];
        ReducedPrecision.BF16ToFloat(bits, widened);
        var slow = new float[m * n];
        Gemm.Naive(a, k, 1, widened, 1, k, slow, n, m, n, k);
        AssertClose(slow, narrow, 2e-5f * MathF.Sqrt(k));
    }

    [Theory]
    [InlineData(37, 211, 300)]
    // Sixteen groups of panels (3 wide panels or 6 narrow ones each, M = 300) over 3 × 8 parts: some parts get a group,
    // the rest none; the last group is short.
    [InlineData(300, 1500, 40)]
    public void Multithreaded_result_equals_single_threaded(int m, int n, int k)
    {
        // Each C element is summed by one thread in one order either way: bit for bit equal.
        using var one = new WorkerPool(1);
        using var three = new WorkerPool(3);
        var a = Random(m * k, 1);
        var b = Random(n * k, 2);
        var bias = Random(n, 3);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var c1 = new float[m * n];
                var c3 = new float[m * n];
                Gemm.MultiplyTransB(a, k, b, k, c1, n, m, n, k, bias: bias, pool: one);
                Gemm.MultiplyTransB(a, k, b, k, c3, n, m, n, k, bias: bias, pool: three);
                Assert.Equal(c1, c3);
                var slow = new float[m * n];
                Gemm.Naive(a, k, 1, b, 1, k, slow, n, m, n, k, bias: bias);
                AssertClose(slow, c3, 2e-5f * MathF.Sqrt(k));
            }
    }

    [Fact]
    public void Too_short_operand_is_rejected_with_the_shapes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Gemm.MultiplyTransB(new float[10], 4, new float[16], 4, new float[12], 4, 3, 4, 4));
        Assert.Contains("A has 10 floats (need 12)", e.Message);
    }

    private static void Check(Layout layout, int m, int n, int k, bool accumulate, bool withBias, int pad)
    {
        // Leading dimensions include padding so a kernel that assumes packed rows fails.
        var (rowsA, colsA) = layout == Layout.TransA ? (k, m) : (m, k);
        var (rowsB, colsB) = layout == Layout.TransB ? (n, k) : (k, n);
        int lda = colsA + pad, ldb = colsB + pad, ldc = n + pad;
        var a = Random(Math.Max(1, rowsA * lda), 10 + m);
        var b = Random(Math.Max(1, rowsB * ldb), 20 + n);
        var bias = withBias ? Random(n, 30) : [];
        var fast = Random(m * ldc, 40);
        var slow = (float[])fast.Clone();
        switch (layout)
        {
            case Layout.TransB:
                Gemm.MultiplyTransB(a, lda, b, ldb, fast, ldc, m, n, k, accumulate, bias);
                Gemm.Naive(a, lda, 1, b, 1, ldb, slow, ldc, m, n, k, accumulate, bias);
                break;
            case Layout.Plain:
                Gemm.Multiply(a, lda, b, ldb, fast, ldc, m, n, k, accumulate, bias);
                Gemm.Naive(a, lda, 1, b, ldb, 1, slow, ldc, m, n, k, accumulate, bias);
                break;
            default:
                Gemm.MultiplyTransA(a, lda, b, ldb, fast, ldc, m, n, k, accumulate, bias);
                Gemm.Naive(a, 1, lda, b, ldb, 1, slow, ldc, m, n, k, accumulate, bias);
                break;
        }
        // Padding columns of C must be untouched: compare the whole buffer.
        AssertClose(slow, fast, 2e-5f * Math.Max(1, MathF.Sqrt(k)));
    }
}
