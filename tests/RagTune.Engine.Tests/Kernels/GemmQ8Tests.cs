// The int8 GEMM (Q8_0 weights × activations quantised per block of 32) against its naive twin Q8.ForwardNaive, which
// quantises x the same way and sums the integer products exactly: odd shapes leave edge tiles in M and N, K spans
// several K blocks, rows of A and C are strided, bias and accumulation both hold.
using RagTune.Engine.Kernels;
using RagTune.Engine.Threading;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;
using static RagTune.Engine.Tests.Kernels.WeightFormatKernelTests;

namespace RagTune.Engine.Tests.Kernels;

public class GemmQ8Tests
{
    [Theory]
    [InlineData(1, 1, 32)]
    [InlineData(4, 16, 32)]
    [InlineData(7, 17, 64)]
    [InlineData(13, 50, 608)]    // two K blocks of 320 + 288
    [InlineData(30, 33, 1088)]   // three K blocks
    [InlineData(390, 20, 96)]    // two passes over M (MC = 384 rows)
    [InlineData(5, 9, 0)]
    public void Agrees_with_naive(int m, int n, int k)
    {
        Assert.True(GemmQ8.IsSupported, "this machine lacks AVX2");
        // Every path this machine runs: with AVX-512 the wide one uses AVX-VNNI dot products, the 256-bit one AVX2's.
        foreach (var width in KernelDispatch.Available)
        using (KernelDispatch.Override(width))
        foreach (bool accumulate in new[] { false, true })
            foreach (bool withBias in new[] { false, true })
            {
                const int pad = 3;
                int lda = k + pad, ldc = n + pad;
                var a = Random(Math.Max(1, m * lda), 10 + m, 3f);
                var (values, scales) = Quantized(Random(n * k, 20 + n));
                var bias = withBias ? Random(n, 30) : [];
                var fast = Random(m * ldc, 40);
                var before = (float[])fast.Clone();
                GemmQ8.MultiplyTransB(a, lda, values, scales, fast, ldc, m, n, k, accumulate, bias);
                // The oracle takes dense rows: gather A's rows, then place the result into C's strided rows.
                var dense = new float[m * k];
                for (int i = 0; i < m; i++) Array.Copy(a, i * lda, dense, i * k, k);
                var y = new float[m * n];
                Q8.ForwardNaive(dense, values, scales, bias, y, m, k, n);
                var expected = (float[])before.Clone();
                for (int i = 0; i < m; i++)
                    for (int j = 0; j < n; j++)
                        expected[i * ldc + j] = (accumulate ? before[i * ldc + j] : 0f) + y[i * n + j];
                AssertClose(expected, fast, 2e-5f * Math.Max(1, MathF.Sqrt(k)) * 3f);
            }
    }

    [Fact]
    public void Vnni_and_avx2_dot_products_give_the_same_result_bit_for_bit()
    {
        // Exact int32 block sums either way, then the same float steps: the two int8 paths must agree exactly, also at
        // the extremes (-128 weights against ±127 activations).
        int m = 9, n = 40, k = 256;
        var a = Random(m * k, 3, 5f);
        var (values, scales) = Quantized(Random(n * k, 4));
        for (int i = 0; i < values.Length; i += 7) values[i] = -128;
        AssertSameBitsOnEveryWidth(m * n, c => GemmQ8.MultiplyTransB(a, k, values, scales, c, n, m, n, k));
    }

    [Fact]
    public void Multithreaded_result_equals_single_threaded()
    {
        using var one = new WorkerPool(1);
        using var three = new WorkerPool(3);
        int m = 37, n = 211, k = 320;
        var a = Random(m * k, 1);
        var (values, scales) = Quantized(Random(n * k, 2));
        var c1 = new float[m * n];
        var c3 = new float[m * n];
        GemmQ8.MultiplyTransB(a, k, values, scales, c1, n, m, n, k, pool: one);
        GemmQ8.MultiplyTransB(a, k, values, scales, c3, n, m, n, k, pool: three);
        Assert.Equal(c1, c3);
    }

    [Fact]
    public void A_row_length_that_is_not_a_multiple_of_32_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            GemmQ8.MultiplyTransB(new float[40], 40, new sbyte[40], new float[2], new float[1], 1, 1, 1, 40));
        Assert.Contains("multiple of 32", e.Message);
    }
}
