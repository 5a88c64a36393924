// Each fast kernel against its naive twin on random data, including sizes that are not multiples of the vector width.
using RagTune.Engine.Kernels;
using RagTune.Engine.Threading;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public class KernelAgreementTests
{
    internal static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1f, Math.Abs(expected[i]))))
                Assert.Fail($"index {i}: expected {expected[i]}, got {actual[i]} (tolerance {tolerance})");
    }

    /// <summary>Runs <paramref name="product"/> into a fresh output of <paramref name="length"/> floats on the 256-bit path
    /// and on every path this CPU offers, asserts the outputs are bit for bit equal and returns the 256-bit one.</summary>
    internal static float[] AssertSameBitsOnEveryWidth(int length, Action<float[]> product)
    {
        var narrow = new float[length];
        using (KernelDispatch.Override(VectorWidth.Bits256)) product(narrow);
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                var c = new float[length];
                product(c);
                Assert.Equal(narrow, c);
            }
        return narrow;
    }

    [Theory]
    [InlineData(1, 8, 4, true)]
    [InlineData(1, 67, 13, false)]
    [InlineData(3, 64, 32, true)]
    [InlineData(5, 129, 7, true)]
    [InlineData(2, 3, 5, false)]
    public void MatMul_agrees_with_naive(int rows, int inDim, int outDim, bool withBias)
    {
        var x = Random(rows * inDim, 1);
        var w = Random(outDim * inDim, 2);
        var b = withBias ? Random(outDim, 3) : [];
        var fast = new float[rows * outDim];
        var slow = new float[rows * outDim];
        MatMul.Forward(x, w, b, fast, rows, inDim, outDim);
        MatMul.ForwardNaive(x, w, b, slow, rows, inDim, outDim);
        AssertClose(slow, fast, 1e-5f);
    }

    [Fact]
    public void MatVec_is_one_row_of_MatMul()
    {
        var x = Random(37, 4);
        var w = Random(11 * 37, 5);
        var y = new float[11];
        var expected = new float[11];
        MatMul.MatVec(x, w, [], y, 37, 11);
        MatMul.ForwardNaive(x, w, [], expected, 1, 37, 11);
        AssertClose(expected, y, 1e-5f);
    }

    [Fact]
    public void MatMul_rejects_short_buffers()
    {
        Assert.Throws<ArgumentException>(() => MatMul.Forward(new float[3], new float[6], [], new float[2], 1, 3, 3));
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(3, 45)]
    [InlineData(4, 16)]
    public void RmsNorm_agrees_with_naive(int rows, int c)
    {
        var x = Random(rows * c, 6, 3f);
        var w = Random(c, 7);
        var fast = new float[x.Length];
        var slow = new float[x.Length];
        RmsNorm.Forward(x, w, 1e-6f, fast);
        RmsNorm.ForwardNaive(x, w, 1e-6f, slow);
        AssertClose(slow, fast, 1e-5f);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(3, 33)]
    public void LayerNorm_agrees_with_naive(int rows, int c)
    {
        var x = Random(rows * c, 8, 3f);
        for (int i = 0; i < x.Length; i++) x[i] += 5f; // an offset mean exercises the centring
        var w = Random(c, 9);
        var b = Random(c, 10);
        var fast = new float[x.Length];
        var slow = new float[x.Length];
        LayerNorm.Forward(x, w, b, 1e-12f, fast);
        LayerNorm.ForwardNaive(x, w, b, 1e-12f, slow);
        AssertClose(slow, fast, 1e-5f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void Softmax_agrees_with_naive_and_survives_large_logits(int n)
    {
        var x = Random(n, 11, 20f);
        x[0] = 500f; // exp(500) overflows float: the max must be subtracted first
        var fast = (float[])x.Clone();
        var slow = (float[])x.Clone();
        Softmax.Forward(fast);
        Softmax.ForwardNaive(slow);
        AssertClose(slow, fast, 1e-5f);
        Assert.Equal(1f, fast.Sum(), 4);
    }

    [Fact]
    public void SiluMul_agrees_with_naive()
    {
        var g = Random(300, 12, 8f);
        var u = Random(300, 13);
        var fast = (float[])g.Clone();
        var slow = (float[])g.Clone();
        Activations.SiluMul(fast, u);
        Activations.SiluMulNaive(slow, u);
        AssertClose(slow, fast, 1e-5f);
    }

    [Fact]
    public void SiluMul_over_a_pool_agrees_with_naive_and_with_one_thread()
    {
        // Long enough to be split (≥ 64 Ki values) and not a multiple of the 64-value shares, so the last share is short.
        using var pool = new WorkerPool(3);
        int n = (1 << 16) + 1000 + 7;
        var g = Random(n, 15, 8f);
        var u = Random(n, 16);
        var pooled = (float[])g.Clone();
        var single = (float[])g.Clone();
        var slow = (float[])g.Clone();
        Activations.SiluMul(pooled, u, pool);
        Activations.SiluMul(single, u);
        Activations.SiluMulNaive(slow, u);
        AssertClose(slow, pooled, 1e-5f);
        Assert.Equal(single, pooled);
    }

    [Fact]
    public void Gelu_agrees_with_naive()
    {
        var x = Random(301, 14, 6f);
        var fast = (float[])x.Clone();
        var slow = (float[])x.Clone();
        Activations.Gelu(fast);
        Activations.GeluNaive(slow);
        AssertClose(slow, fast, 2e-6f);
    }

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(-2.0, -0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    public void ErfPrecise_matches_published_values(double x, double expected)
    {
        Assert.Equal(expected, Activations.ErfPrecise(x), 12);
    }

    [Theory]
    [InlineData(2, 4, 16, 3)]
    [InlineData(3, 2, 8, 0)]
    public void Rope_agrees_with_naive(int rows, int heads, int headDim, int start)
    {
        var invFreq = new float[headDim / 2];
        for (int i = 0; i < invFreq.Length; i++) invFreq[i] = 1f / MathF.Pow(10000f, 2f * i / headDim);
        int positions = start + rows;
        var cos = new float[positions * headDim / 2];
        var sin = new float[positions * headDim / 2];
        Rope.BuildTables(invFreq, positions, cos, sin);
        var x = Random(rows * heads * headDim, 15);
        var fast = (float[])x.Clone();
        var slow = (float[])x.Clone();
        Rope.Apply(fast, rows, heads, headDim, start, cos, sin);
        Rope.ApplyNaive(slow, rows, heads, headDim, start, invFreq);
        AssertClose(slow, fast, 1e-5f);
    }

    [Theory]
    [InlineData(3, 4, 2, 8, 10, 2, true)]   // GQA, causal, continuing after two cached tokens
    [InlineData(1, 4, 1, 16, 9, 8, true)]   // one decode step, multi-query
    [InlineData(5, 2, 2, 12, 5, 0, false)]  // encoder: every row sees all keys
    public void Attention_agrees_with_naive(int rows, int heads, int kvHeads, int headDim, int capacity, int start, bool causal)
    {
        int keys = causal ? start + rows : rows;
        var shape = new AttentionShape(rows, heads, kvHeads, headDim, capacity, start, keys, causal);
        var q = Random(rows * heads * headDim, 16);
        var k = Random(kvHeads * capacity * headDim, 17, 2f);
        var v = Random(kvHeads * capacity * headDim, 18);
        var fast = new float[q.Length];
        var slow = new float[q.Length];
        Attention.Forward(q, k, v, fast, new float[capacity], shape);
        Attention.ForwardNaive(q, k, v, slow, shape);
        AssertClose(slow, fast, 1e-5f);
    }

    [Fact]
    public void Attention_causal_first_row_returns_first_value()
    {
        // Row 0 at position 0 sees only key 0, so its output is exactly v[0] for every head.
        var shape = new AttentionShape(2, 2, 1, 4, 2, 0, 2, true);
        var v = new float[] { 1, 2, 3, 4, 9, 9, 9, 9 };
        var output = new float[16];
        Attention.Forward(Random(16, 19), Random(8, 20), v, output, new float[2], shape);
        Assert.Equal([1f, 2f, 3f, 4f, 1f, 2f, 3f, 4f], output[..8]);
    }
}
