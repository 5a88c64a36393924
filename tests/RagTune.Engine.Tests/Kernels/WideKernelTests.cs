// The kernels with a 512-bit path (KernelDispatch) against their naive twins at every width this CPU offers, on sizes
// that leave tails after the widest steps; and the same result at both widths where the arithmetic is the same.
// (CI runs these once more with RAGTUNE_VECTOR_WIDTH=256, which changes the default width, not these overrides.)
using RagTune.Engine.Kernels;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;

namespace RagTune.Engine.Tests.Kernels;

public class WideKernelTests
{
    [Theory]
    [InlineData(1, 14, 2, 64, 300, true)]    // decode at 300 cached keys, 7 query heads per KV head (Qwen2.5-0.5B)
    [InlineData(3, 8, 2, 32, 200, true)]     // three rows (a short chunk) after a cached prefix
    [InlineData(2, 16, 8, 128, 150, false)]  // every row sees all keys, head_dim 128 (Qwen3)
    public void Grouped_attention_agrees_with_naive_at_every_width(int rows, int heads, int kvHeads, int headDim, int capacity, bool causal)
    {
        int start = causal ? capacity - rows : 0;
        var shape = new AttentionShape(rows, heads, kvHeads, headDim, capacity, start, causal ? 0 : capacity, causal);
        Assert.True(AttentionBlocked.PaysGrouped(shape));
        Assert.False(AttentionBlocked.Pays(shape));
        var q = Random(rows * heads * headDim, 1);
        var k = Random(kvHeads * capacity * headDim, 2);
        var v = Random(kvHeads * capacity * headDim, 3);
        var expected = new float[q.Length];
        Attention.ForwardNaive(q, k, v, expected, shape);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var grouped = new float[q.Length];
                AttentionBlocked.ForwardGrouped(q, k, v, grouped, shape);
                AssertClose(expected, grouped, 2e-5f);
                var chosen = new float[q.Length];
                Attention.Forward(q, k, v, chosen, new float[capacity], shape);  // takes the grouped path
                Assert.Equal(grouped, chosen);
            }
    }

    [Theory]
    [InlineData(4, 3, 64, 5)]    // half 32: two 512-bit steps
    [InlineData(2, 2, 56, 0)]    // half 28: one 512-bit step, one 256-bit, four scalar
    [InlineData(1, 16, 128, 99)] // Qwen3's head_dim
    public void Rope_agrees_with_naive_and_gives_the_same_bits_at_every_width(int rows, int heads, int headDim, int start)
    {
        var invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.Length; i++) invFreq[i] = 1f / MathF.Pow(10000f, 2f * i / headDim);
        int positions = start + rows;
        var cos = new float[positions * headDim / 2];
        var sin = new float[positions * headDim / 2];
        Rope.BuildTables(invFreq, positions, cos, sin);
        var x = Random(rows * heads * headDim, 15);
        var expected = (float[])x.Clone();
        Rope.ApplyNaive(expected, rows, heads, headDim, start, invFreq);
        float[]? first = null;
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var fast = (float[])x.Clone();
                Rope.Apply(fast, rows, heads, headDim, start, cos, sin);
                AssertClose(expected, fast, 1e-5f);
                if (first is null) first = fast;
                else Assert.Equal(first, fast);
            }
    }

    [Theory]
    [InlineData(1, 896, 37)]   // 28 blocks: three steps of eight, two pairs
    [InlineData(2, 224, 19)]   // 7 blocks: no step of eight, three pairs, an odd block on the 256-bit path
    [InlineData(1, 480, 23)]   // 15 blocks: one step of eight, three pairs, an odd block
    [InlineData(1, 4864, 70)]  // through the worker pool
    public void Q8_matvec_agrees_with_naive_at_every_width(int rows, int inDim, int outDim)
    {
        var x = Random(rows * inDim, 7);
        x[3] = 0;  // a zero activation: its sign must not flip or drop anything
        var w = Random(outDim * inDim, 8, 0.1f);
        var values = new sbyte[w.Length];
        var scales = new float[w.Length / Q8.BlockSize];
        Q8.Quantize(w, values, scales);
        var expected = new float[rows * outDim];
        Q8.ForwardNaive(x, values, scales, [], expected, rows, inDim, outDim);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var y = new float[rows * outDim];
                Q8.Forward(x, values, scales, [], y, rows, inDim, outDim);
                AssertClose(expected, y, 2e-5f * MathF.Sqrt(inDim));
            }
    }
}
