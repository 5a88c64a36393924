// The blocked GEMM attention against the naive paths: inference (Attention.ForwardNaive, in double) over odd row counts,
// GQA groups 1/2/7, causal or not, after a cached prefix; training forward/backward against the old per-row loops.
using RagTune.Engine.Kernels;
using RagTune.Engine.Tests.Training;
using RagTune.Engine.Threading;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public sealed class AttentionBlockedTests
{
    private static float[] Random(int n, int seed, float scale = 1f) => DecoderPassesGradientTests.Random(n, seed, scale);

    private static void Near(float[] expected, float[] actual, float tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(float.IsFinite(actual[i]) && Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    [Theory]
    [InlineData(1, 7, 1, 8, 0, true)]
    [InlineData(9, 4, 2, 16, 0, true)]
    [InlineData(50, 7, 1, 64, 0, true)]
    [InlineData(97, 4, 2, 8, 0, false)]
    [InlineData(49, 3, 3, 64, 13, true)]
    [InlineData(61, 14, 2, 64, 37, true)]
    [InlineData(30, 7, 7, 12, 0, false)]
    public void InferenceMatchesTheOracle(int rows, int heads, int kvHeads, int d, int start, bool causal)
    {
        int cap = start + rows + 5, keys = causal ? start + rows : start + rows + 3;
        var q = Random(rows * heads * d, 1, 2f);
        var k = Random(kvHeads * cap * d, 2, 2f);
        var v = Random(kvHeads * cap * d, 3);
        var shape = new AttentionShape(rows, heads, kvHeads, d, cap, start, keys, causal);
        var expected = new float[rows * heads * d];
        Attention.ForwardNaive(q, k, v, expected, shape);
        var blocked = new float[expected.Length];
        AttentionBlocked.Forward(q, k, v, blocked, shape);
        Near(expected, blocked, 2e-5f, "blocked");
        // Attention.Forward takes the blocked path when it pays, the per-pair loop otherwise: both must agree.
        var viaForward = new float[expected.Length];
        Attention.Forward(q, k, v, viaForward, new float[cap], shape);
        Near(expected, viaForward, 2e-5f, "Attention.Forward");
    }

    [Fact]
    public void InferenceOnOneThreadAndOnAPoolAgree()
    {
        int rows = 100, heads = 6, kvHeads = 2, d = 32, cap = 120;
        var q = Random(rows * heads * d, 4);
        var k = Random(kvHeads * cap * d, 5);
        var v = Random(kvHeads * cap * d, 6);
        var shape = new AttentionShape(rows, heads, kvHeads, d, cap, 20, 0, Causal: true);
        var one = new float[rows * heads * d];
        var many = new float[one.Length];
        using (var serial = new WorkerPool(1)) AttentionBlocked.Forward(q, k, v, one, shape, serial);
        using (var pool = new WorkerPool(3)) AttentionBlocked.Forward(q, k, v, many, shape, pool);
        Assert.Equal(one, many);
    }

    [Fact]
    public void LargeScoresGiveNoNaN()
    {
        int rows = 40, heads = 4, kvHeads = 2, d = 16;
        var q = Random(rows * heads * d, 16, 1e2f);  // scores up to ~1e4·√d / √d
        // The inference layout against the double oracle (training attention's large scores: AttentionFlashTests).
        var kh = Random(kvHeads * rows * d, 20, 1e2f);
        var vh = Random(kvHeads * rows * d, 21);
        var shape = new AttentionShape(rows, heads, kvHeads, d, rows, 0, rows, Causal: true);
        var expected = new float[q.Length];
        Attention.ForwardNaive(q, kh, vh, expected, shape);
        var ours = new float[q.Length];
        AttentionBlocked.Forward(q, kh, vh, ours, shape);
        Near(expected, ours, 1e-3f, "large");
    }

    [Fact]
    public void ShapeMismatchNamesTheSizes()
    {
        var none = Assert.Throws<EngineException>(() => AttentionBlocked.Forward(new float[8], new float[8], new float[8], new float[8],
            new AttentionShape(2, 1, 1, 4, 2, 0, 0, Causal: false)));
        Assert.Contains("0 keys", none.Message);
    }
}
