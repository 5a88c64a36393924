// The few-rows kernel of batched decoding against its naive twin: 1–8 activation rows, float32 and bf16 weights, lengths
// with and without a vector tail, a bias or none, on both vector widths the machine runs.
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public class MatVecBatchTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 64, 13 }, { 2, 37, 67 }, { 3, 896, 40 }, { 4, 128, 130 }, { 5, 70, 33 }, { 7, 256, 64 }, { 8, 896, 300 },
        { 8, 1000, 21 }, { 4, 2008, 9 }, { 6, 15, 5 }, { 8, 2500, 11 }, { 7, 4869, 6 }, { 5, 2048, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Agrees_with_the_naive_product(int rows, int inDim, int outDim)
    {
        var rng = new Random(rows * 1000 + inDim);
        float[] Fill(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.NextSingle() - 0.5f)];
        var x = Fill(rows * inDim);
        var w = Fill(inDim * outDim);
        var bits = new ushort[w.Length];
        ReducedPrecision.FloatToBF16(w, bits);
        var widened = bits.Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray();
        foreach (var bias in new[] { Fill(outDim), null })
            foreach (var width in KernelDispatch.Available)
                using (KernelDispatch.Override(width))
                {
                    var expected = new float[rows * outDim];
                    var actual = new float[rows * outDim];
                    MatVecBatch.ForwardNaive(x, i => w[i], bias, expected, rows, inDim, outDim);
                    MatVecBatch.Forward(x, w, bias, actual, rows, inDim, outDim);
                    AssertClose(expected, actual, $"f32 {width} bias {bias is not null}");
                    MatVecBatch.ForwardNaive(x, i => widened[i], bias, expected, rows, inDim, outDim);
                    MatVecBatch.Forward(x, bits, bias, actual, rows, inDim, outDim);
                    AssertClose(expected, actual, $"bf16 {width} bias {bias is not null}");
                }
    }

    [Fact]
    public void More_rows_than_it_takes_is_an_error()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => MatVecBatch.Forward(new float[9 * 4], new float[16], default, new float[9 * 4], 9, 4, 4));
        Assert.Contains("MatVecBatch takes 1..8 rows", e.Message);
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])), $"{what} [{i}]: {expected[i]} vs {actual[i]}");
    }
}
