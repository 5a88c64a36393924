// The few-rows Q8 kernel of batched decoding against Q8's naive product (the same quantised activations, integer dots
// summed in double): 1–8 rows, block counts odd and even, an odd and an even number of outputs, a bias or none, on both
// vector widths the machine runs (the wide one takes AVX-VNNI's vpdpbusd over rows interleaved 8 to a vector where the
// CPU has it, the other vpmaddubsw row by row).
using RagTune.Engine.Kernels;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public class Q8BatchTests
{
    public static TheoryData<int, int, int> Shapes() => new()
    {
        { 1, 32, 13 }, { 2, 64, 67 }, { 3, 896, 40 }, { 4, 128, 130 }, { 5, 96, 33 }, { 7, 256, 64 }, { 8, 896, 300 }, { 8, 4864, 7 }, { 6, 4864, 37 }, { 8, 64, 5 }, { 3, 32, 4 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Agrees_with_the_naive_product(int rows, int inDim, int outDim)
    {
        Assert.True(Q8Batch.IsSupported, "this machine lacks AVX2 (the few-rows Q8 kernel needs it)");
        var rng = new Random(rows * 1000 + inDim);
        float[] Fill(int n) => [.. Enumerable.Range(0, n).Select(_ => rng.NextSingle() - 0.5f)];
        var x = Fill(rows * inDim);
        var values = new sbyte[inDim * outDim];
        var scales = new float[inDim * outDim / Q8.BlockSize];
        Q8.Quantize(Fill(inDim * outDim), values, scales);
        foreach (var bias in new[] { Fill(outDim), null })
        {
            var expected = new float[rows * outDim];
            Q8.ForwardNaive(x, values, scales, bias, expected, rows, inDim, outDim);
            foreach (var width in KernelDispatch.Available)
                using (KernelDispatch.Override(width))
                {
                    var actual = new float[rows * outDim];
                    Q8Batch.Forward(x, values, scales, bias, actual, rows, inDim, outDim);
                    for (int i = 0; i < expected.Length; i++)
                        Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1f, Math.Abs(expected[i])),
                            $"{width} bias {bias is not null} [{i}]: {expected[i]} vs {actual[i]}");
                }
        }
    }

    [Fact]
    public void More_rows_than_it_takes_is_an_error()
    {
        Assert.True(Q8Batch.IsSupported, "this machine lacks AVX2 (the few-rows Q8 kernel needs it)");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Q8Batch.Forward(new float[9 * 32], new sbyte[32], new float[1], default, new float[9], 9, 32, 1));
        Assert.Contains("Q8Batch takes 1..8 rows", e.Message);
    }

    [Fact]
    public void An_input_width_off_the_block_size_is_an_error()
    {
        Assert.True(Q8Batch.IsSupported, "this machine lacks AVX2 (the few-rows Q8 kernel needs it)");
        var e = Assert.Throws<ArgumentException>(() => Q8Batch.Forward(new float[2 * 40], new sbyte[40], new float[2], default, new float[2], 2, 40, 1));
        Assert.Contains("need a multiple of 32", e.Message);
    }
}
