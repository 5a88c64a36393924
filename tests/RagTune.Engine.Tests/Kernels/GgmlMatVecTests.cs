// The GGUF block kernels against their oracles: the vectorised decode products (Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K read in place)
// against dequantise-then-dot with the same int8 activations, alone, through the fused dispatch and through WeightMatrix
// (whose prefill path widens the blocks for the GEMM). Blocks are random bytes with finite half scales, so every bit
// pattern of the packed quants, scales and mins is exercised.
using RagTune.Engine.Formats;
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using RagTune.Engine.Tensors;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;

namespace RagTune.Engine.Tests.Kernels;

public class GgmlMatVecTests
{
    public static TheoryData<GgmlType> Types => new(
        GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);

    /// <summary>Random blocks for a [rows, cols] matrix: random bytes, then each half scale set to a small finite value.</summary>
    internal static byte[] RandomBlocks(GgmlType type, int rows, int cols, int seed)
    {
        GgmlTypes.TryGetLayout(type, out int weights, out int size);
        var data = new byte[GgmlTypes.ByteCount(type, (long)rows * cols)];
        var rng = new Random(seed);
        rng.NextBytes(data);
        int[] halves = type switch
        {
            GgmlType.Q4_0 or GgmlType.Q5_0 => [0],
            GgmlType.Q6_K => [208],
            _ => [0, 2],
        };
        for (int b = 0; b < data.Length / size; b++)
            foreach (int at in halves)
                BitConverter.TryWriteBytes(data.AsSpan(b * size + at), ReducedPrecision.FloatToHalf((float)(rng.NextDouble() * 0.02 + 0.001)));
        return data;
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Vectorised_product_matches_dequantise_then_dot(GgmlType type)
    {
        const int rows = 203, cols = 768;   // through the worker pool; rows not a multiple of 4
        var blocks = RandomBlocks(type, rows, cols, 7);
        var x = Random(2 * cols, 3);
        var bias = Random(rows, 5);
        var slow = new float[2 * rows];
        GgmlMatVec.ForwardNaive(type, x, blocks, bias, slow, 2, cols, rows);
        float scale = slow.Max(MathF.Abs);
        Assert.True(scale > 0.1f, $"degenerate test data: |y| ≤ {scale}");
        // Both int8 dot sequences: AVX2's vpmaddubsw + vpmaddwd, and vpdpbusd on the 512-bit path (where AVX-VNNI exists).
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var fast = new float[2 * rows];
                GgmlMatVec.Forward(type, x, blocks, bias, fast, 2, cols, rows);
                AssertClose(slow, fast, 2e-5f * scale);
            }
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Scalar_fallback_matches_the_oracle(GgmlType type)
    {
        const int rows = 9, cols = 512;
        var blocks = RandomBlocks(type, rows, cols, 17);
        var x = Random(cols, 4);
        var slow = new float[rows];
        GgmlMatVec.ForwardNaive(type, x, blocks, default, slow, 1, cols, rows);
        var xv = new sbyte[cols];
        var xs = new float[cols / Q8.BlockSize];
        Q8.Quantize(x, xv, xs);
        var fast = new float[rows];
        long rowBytes = GgmlTypes.ByteCount(type, cols);
        for (int o = 0; o < rows; o++)
            fast[o] = GgmlMatVec.DotScalar(type, blocks.AsSpan((int)(o * rowBytes), (int)rowBytes), xv, xs, cols);
        AssertClose(slow, fast, 2e-5f * slow.Max(MathF.Abs));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void Fused_dispatch_and_weight_matrix_agree_with_the_oracle(GgmlType type)
    {
        const int rows = 130, cols = 512, tokens = 5;
        var blocks = RandomBlocks(type, rows, cols, 23);
        var weight = WeightMatrix.FromGgml(type, blocks, rows, cols);
        var x = Random(tokens * cols, 9);
        var bias = Random(rows, 11);

        // Decode: the fused single-operand dispatch reads the blocks in place.
        var expected = new float[rows];
        GgmlMatVec.ForwardNaive(type, x.AsSpan(0, cols), blocks, bias, expected, 1, cols, rows);
        float scale = expected.Max(MathF.Abs);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var fused = new float[rows];
                FusedMatVec.ForThisThread.Store(x.AsSpan(0, cols), new MatVecOperand(weight, bias), fused);
                AssertClose(expected, fused, 2e-5f * scale);
            }

        // Prefill (tokens ≥ 4): the blocks are widened exactly, x stays float32 — compare with a float32 product.
        var dense = new float[rows * cols];
        GgmlQuants.Dequantize(type, blocks, dense);
        var reference = new float[tokens * rows];
        MatMul.ForwardNaive(x, dense, bias, reference, tokens, cols, rows);
        var y = new float[tokens * rows];
        weight.Multiply(x, bias, y, tokens);
        AssertClose(reference, y, 1e-4f * reference.Max(MathF.Abs));

        // Embedding lookup: one row widened.
        var row = new float[cols];
        weight.ReadRow(77, row);
        AssertClose(dense.AsSpan(77 * cols, cols), row, 0f);
    }
}
