// The tiled training attention (online softmax, lse saved, probabilities recomputed in the backward) against its naive
// twin in double, over shapes with several row blocks and key tiles, GQA, causal or not, and packed rows; the naive twin
// against the per-row loops that save every probability, and a packed row against its examples run apart.
using RagTune.Engine.Kernels;
using RagTune.Engine.Tests.Training;
using RagTune.Engine.Threading;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public sealed class AttentionFlashTests
{
    private static float[] Random(int n, int seed, float scale = 1f) => DecoderPassesGradientTests.Random(n, seed, scale);

    private static void Near(float[] expected, float[] actual, float tol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(float.IsFinite(actual[i]) && Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i])),
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>Row starts of examples of the given lengths packed into one row.</summary>
    private static int[] Packed(params int[] lengths)
    {
        var starts = new List<int>();
        int first = 0;
        foreach (int n in lengths)
        {
            starts.AddRange(Enumerable.Repeat(first, n));
            first += n;
        }
        return [.. starts];
    }

    public static TheoryData<int, int, int, int, bool, int[]> Shapes => new()
    {
        { 1, 2, 1, 8, true, [] },
        { 5, 4, 2, 4, true, [] },
        { 53, 7, 1, 64, true, [] },
        { 97, 4, 2, 16, false, [] },
        // More than one key tile (256) and several row blocks (192): the online softmax rescales across tiles.
        { 300, 4, 2, 16, true, [] },
        { 1000, 2, 1, 8, true, [] },
        { 600, 3, 1, 8, false, [] },
        { 531, 14, 2, 64, true, [] },
        // Packed rows: examples that end inside a row block and inside a key tile, one longer than a tile.
        { 7, 4, 2, 4, true, Packed(3, 2, 2) },
        { 340, 6, 3, 16, true, Packed(30, 1, 270, 39) },
        { 520, 4, 1, 32, true, Packed(260, 260) },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchTheNaiveTwin(int rows, int heads, int kvHeads, int d, bool causal, int[] rowStart)
    {
        var q = Random(rows * heads * d, 1, 2f);
        var k = Random(rows * kvHeads * d, 2, 2f);
        var v = Random(rows * kvHeads * d, 3);
        var dout = Random(rows * heads * d, 4);
        var expected = new float[rows * heads * d];
        var expectedLse = new float[heads * rows];
        AttentionFlash.ForwardNaive(q, k, v, expected, expectedLse, rows, heads, kvHeads, d, causal, rowStart);
        var output = new float[expected.Length];
        var lse = new float[expectedLse.Length];
        AttentionFlash.Forward(q, k, v, output, lse, rows, heads, kvHeads, d, causal, rowStart);
        Near(expected, output, 2e-5f, "output");
        Near(expectedLse, lse, 2e-5f, "lse");

        float[] dq0 = new float[q.Length], dk0 = new float[k.Length], dv0 = new float[v.Length];
        AttentionFlash.BackwardNaive(dout, q, k, v, dq0, dk0, dv0, rows, heads, kvHeads, d, causal, rowStart);
        // Backward accumulates: start from ones, and expect ones more.
        float[] dq = Ones(q.Length), dk = Ones(k.Length), dv = Ones(v.Length);
        AttentionFlash.Backward(dout, q, k, v, output, lse, dq, dk, dv, rows, heads, kvHeads, d, causal, rowStart);
        Near(dq0.Select(x => x + 1).ToArray(), dq, 1e-4f, "dq");
        Near(dk0.Select(x => x + 1).ToArray(), dk, 1e-4f, "dk");
        Near(dv0.Select(x => x + 1).ToArray(), dv, 1e-4f, "dv");
    }

    private static float[] Ones(int n) => Enumerable.Repeat(1f, n).ToArray();

    [Theory]
    [InlineData(9, 4, 2, 8, true)]
    [InlineData(60, 7, 7, 16, false)]
    public void NaiveTwinMatchesTheLoopsThatSaveEveryProbability(int rows, int heads, int kvHeads, int d, bool causal)
    {
        var q = Random(rows * heads * d, 5);
        var k = Random(rows * kvHeads * d, 6);
        var v = Random(rows * kvHeads * d, 7);
        var dout = Random(rows * heads * d, 8);
        var expected = new float[rows * heads * d];
        var probs = new float[heads * rows * rows];
        AttentionTrainingNaive.Forward(q, k, v, expected, probs, rows, heads, kvHeads, d, causal);
        var output = new float[expected.Length];
        AttentionFlash.ForwardNaive(q, k, v, output, new float[heads * rows], rows, heads, kvHeads, d, causal);
        Near(expected, output, 1e-5f, "output");
        float[] dq0 = new float[q.Length], dk0 = new float[k.Length], dv0 = new float[v.Length];
        AttentionTrainingNaive.Backward(dout, q, k, v, probs, dq0, dk0, dv0, rows, heads, kvHeads, d, causal);
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
        AttentionFlash.BackwardNaive(dout, q, k, v, dq, dk, dv, rows, heads, kvHeads, d, causal);
        Near(dq0, dq, 1e-4f, "dq");
        Near(dk0, dk, 1e-4f, "dk");
        Near(dv0, dv, 1e-4f, "dv");
    }

    [Fact]
    public void APackedRowEqualsItsExamplesApart()
    {
        int[] lengths = [100, 3, 290];
        int rows = lengths.Sum(), heads = 4, kvHeads = 2, d = 16, qs = heads * d, ks = kvHeads * d;
        var q = Random(rows * qs, 9);
        var k = Random(rows * ks, 10);
        var v = Random(rows * ks, 11);
        var dout = Random(rows * qs, 12);
        var output = new float[rows * qs];
        var lse = new float[heads * rows];
        var rowStart = Packed(lengths);
        AttentionFlash.Forward(q, k, v, output, lse, rows, heads, kvHeads, d, causal: true, rowStart);
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
        AttentionFlash.Backward(dout, q, k, v, output, lse, dq, dk, dv, rows, heads, kvHeads, d, causal: true, rowStart);
        int first = 0;
        foreach (int n in lengths)
        {
            float[] Part(float[] x, int width) => x.AsSpan(first * width, n * width).ToArray();
            var o = new float[n * qs];
            var l = new float[heads * n];
            AttentionFlash.Forward(Part(q, qs), Part(k, ks), Part(v, ks), o, l, n, heads, kvHeads, d, causal: true);
            float[] gq = new float[n * qs], gk = new float[n * ks], gv = new float[n * ks];
            AttentionFlash.Backward(Part(dout, qs), Part(q, qs), Part(k, ks), Part(v, ks), o, l, gq, gk, gv, n, heads, kvHeads, d, causal: true);
            Near(o, Part(output, qs), 1e-5f, $"output of the example at {first}");
            Near(gq, Part(dq, qs), 1e-4f, $"dq of the example at {first}");
            Near(gk, Part(dk, ks), 1e-4f, $"dk of the example at {first}");
            Near(gv, Part(dv, ks), 1e-4f, $"dv of the example at {first}");
            first += n;
        }
    }

    [Fact]
    public void OneThreadAndAPoolAgree()
    {
        int rows = 300, heads = 6, kvHeads = 2, d = 32;
        var q = Random(rows * heads * d, 13);
        var k = Random(rows * kvHeads * d, 14);
        var v = Random(rows * kvHeads * d, 15);
        float[] one = new float[rows * heads * d], many = new float[one.Length], lse1 = new float[heads * rows], lse2 = new float[heads * rows];
        using (var serial = new WorkerPool(1)) AttentionFlash.Forward(q, k, v, one, lse1, rows, heads, kvHeads, d, true, pool: serial);
        using (var pool = new WorkerPool(3)) AttentionFlash.Forward(q, k, v, many, lse2, rows, heads, kvHeads, d, true, pool: pool);
        Assert.Equal(one, many);
        Assert.Equal(lse1, lse2);
    }

    [Fact]
    public void LargeScoresGiveNoNaN()
    {
        int rows = 270, heads = 2, kvHeads = 1, d = 8;
        var q = Random(rows * heads * d, 16, 60f);
        var k = Random(rows * kvHeads * d, 17, 60f);
        var v = Random(rows * kvHeads * d, 18);
        var output = new float[rows * heads * d];
        var lse = new float[heads * rows];
        AttentionFlash.Forward(q, k, v, output, lse, rows, heads, kvHeads, d, causal: true);
        float[] dq = new float[q.Length], dk = new float[k.Length], dv = new float[v.Length];
        AttentionFlash.Backward(Random(q.Length, 19), q, k, v, output, lse, dq, dk, dv, rows, heads, kvHeads, d, causal: true);
        Assert.All(output.Concat(lse).Concat(dq).Concat(dk).Concat(dv), x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void BadShapesAndRowStartsAreNamed()
    {
        var shape = Assert.Throws<EngineException>(() => AttentionFlash.Forward(new float[10], new float[8], new float[8],
            new float[10], new float[2], rows: 2, heads: 2, kvHeads: 1, headDim: 4, causal: true));
        Assert.Contains("q/dq 10", shape.Message);
        var start = Assert.Throws<EngineException>(() => AttentionFlash.Forward(new float[8], new float[8], new float[8],
            new float[8], new float[2], rows: 2, heads: 1, kvHeads: 1, headDim: 4, causal: true, rowStart: [0, 2]));
        Assert.Contains("row 1 starts at key 2", start.Message);
        var encoder = Assert.Throws<EngineException>(() => AttentionFlash.Forward(new float[8], new float[8], new float[8],
            new float[8], new float[2], rows: 2, heads: 1, kvHeads: 1, headDim: 4, causal: false, rowStart: [0, 1]));
        Assert.Contains("causal", encoder.Message);
    }
}
