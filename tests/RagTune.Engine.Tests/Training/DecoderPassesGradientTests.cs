// Every backward of DecoderPasses against central finite differences of its forward, on a random objective
// L = Σ r ⊙ f(x) (r random), evaluated in double from the float outputs.
using RagTune.Engine.Kernels;
using RagTune.Engine.Training;
using Xunit;

namespace RagTune.Engine.Tests.Training;

public sealed class DecoderPassesGradientTests
{
    private const float Eps = 1e-2f;

    internal static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }

    /// <summary>Checks analytic d(Σ r·f)/dx against central differences for every element of x.</summary>
    internal static void Check(float[] x, float[] analytic, Func<double> objective, string name, double tol = 2e-2)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float keep = x[i];
            x[i] = keep + Eps;
            double plus = objective();
            x[i] = keep - Eps;
            double minus = objective();
            x[i] = keep;
            double numeric = (plus - minus) / (2 * Eps);
            Assert.True(Math.Abs(numeric - analytic[i]) <= tol * (1 + Math.Abs(numeric)),
                $"{name}[{i}]: analytic {analytic[i]} vs numeric {numeric}");
        }
    }

    private static double Dot(float[] r, float[] y) => r.Zip(y, (a, b) => (double)a * b).Sum();

    [Fact]
    public void RmsNormInputAndWeight()
    {
        int n = 3, c = 8;
        var x = Random(n * c, 1);
        var w = Random(c, 2);
        var r = Random(n * c, 3);
        double F() { var y = new float[n * c]; DecoderPasses.RmsNormForward(x, w, 1e-6f, y, new float[n]); return Dot(r, y); }
        var rstd = new float[n];
        DecoderPasses.RmsNormForward(x, w, 1e-6f, new float[n * c], rstd);
        var dx = new float[n * c];
        var dw = new float[c];
        DecoderPasses.RmsNormBackward(r, x, w, rstd, dx, dw);
        Check(x, dx, F, "dx");
        Check(w, dw, F, "dw");
    }

    [Fact]
    public void RopeIsTransposed()
    {
        int t = 4, heads = 2, d = 8;
        var x = Random(t * heads * d, 4);
        var r = Random(t * heads * d, 5);
        var cos = new float[t * d / 2];
        var sin = new float[t * d / 2];
        Rope.BuildTables([1f, 0.3f, 0.1f, 0.01f], t, cos, sin);
        double F() { var y = (float[])x.Clone(); Rope.Apply(y, t, heads, d, 0, cos, sin); return Dot(r, y); }
        var dx = (float[])r.Clone();
        DecoderPasses.RopeBackward(dx, t, heads, d, cos, sin);
        Check(x, dx, F, "dx");
    }

    [Fact]
    public void CausalGqaAttention() => CheckAttention(t: 5, h: 4, kv: 2, d: 4, rowStart: []);

    [Fact]
    public void PackedAttentionSeesOnlyItsOwnExample() => CheckAttention(t: 7, h: 4, kv: 2, d: 4, rowStart: [0, 0, 0, 3, 3, 5, 5]);

    private static void CheckAttention(int t, int h, int kv, int d, int[] rowStart)
    {
        var q = Random(t * h * d, 6);
        var k = Random(t * kv * d, 7);
        var v = Random(t * kv * d, 8);
        var r = Random(t * h * d, 9);
        double F() { var o = new float[t * h * d]; DecoderPasses.AttentionForward(q, k, v, o, new float[h * t], t, h, kv, d, rowStart: rowStart); return Dot(r, o); }
        var output = new float[t * h * d];
        var lse = new float[h * t];
        DecoderPasses.AttentionForward(q, k, v, output, lse, t, h, kv, d, rowStart: rowStart);
        var dq = new float[q.Length];
        var dk = new float[k.Length];
        var dv = new float[v.Length];
        DecoderPasses.AttentionBackward(r, q, k, v, output, lse, dq, dk, dv, t, h, kv, d, rowStart: rowStart);
        Check(q, dq, F, "dq");
        Check(k, dk, F, "dk");
        Check(v, dv, F, "dv");
    }

    [Fact]
    public void AttentionForwardMatchesTheInferenceKernel()
    {
        int t = 6, h = 4, kv = 2, d = 8;
        var q = Random(t * h * d, 10);
        var k = Random(t * kv * d, 11);
        var v = Random(t * kv * d, 12);
        var ours = new float[t * h * d];
        DecoderPasses.AttentionForward(q, k, v, ours, new float[h * t], t, h, kv, d);
        // The inference kernel wants head-major k/v [KV, S, D].
        var kh = new float[k.Length];
        var vh = new float[v.Length];
        for (int s = 0; s < t; s++)
            for (int g = 0; g < kv; g++)
                for (int i = 0; i < d; i++)
                {
                    kh[(g * t + s) * d + i] = k[(s * kv + g) * d + i];
                    vh[(g * t + s) * d + i] = v[(s * kv + g) * d + i];
                }
        var expected = new float[t * h * d];
        Attention.ForwardNaive(q, kh, vh, expected, new AttentionShape(t, h, kv, d, t, 0, t, Causal: true));
        for (int i = 0; i < ours.Length; i++) Assert.Equal(expected[i], ours[i], 1e-5f);
    }

    [Fact]
    public void SwiGlu()
    {
        int n = 12;
        var g = Random(n, 13, 3);
        var u = Random(n, 14);
        var r = Random(n, 15);
        double F() { var y = new float[n]; DecoderPasses.SwiGluForward(g, u, y); return Dot(r, y); }
        var dg = new float[n];
        var du = new float[n];
        DecoderPasses.SwiGluBackward(r, g, u, dg, du);
        Check(g, dg, F, "dg");
        Check(u, du, F, "du");
    }

    [Fact]
    public void CrossEntropyWithMaskedRows()
    {
        int t = 3, vocab = 7;
        var logits = Random(t * vocab, 16, 3);
        int[] targets = [2, -1, 6];
        double F() => DecoderPasses.CrossEntropyForwardBackward((float[])logits.Clone(), targets, vocab, 1f);
        var grad = (float[])logits.Clone();
        DecoderPasses.CrossEntropyForwardBackward(grad, targets, vocab, 1f);
        Check(logits, grad, F, "dlogits");
        Assert.All(grad.AsSpan(vocab, vocab).ToArray(), g => Assert.Equal(0f, g));
    }

    [Fact]
    public void CrossEntropyRowsInParallelAgreeWithTheDefinition()
    {
        // Rows shared among three workers (one masked), float32 exp and sums, against softmax − onehot in double.
        int t = 9, vocab = 5000;
        var logits = Random(t * vocab, 17, 8);
        int[] targets = [3, 4999, -1, 0, 2500, 17, 17, 4000, 1];
        float scale = 0.25f;
        using var pool = new RagTune.Engine.Threading.WorkerPool(3);
        var grad = (float[])logits.Clone();
        double loss = DecoderPasses.CrossEntropyForwardBackward(grad, targets, vocab, scale, pool);
        double expected = 0;
        for (int r = 0; r < t; r++)
        {
            var row = logits.AsSpan(r * vocab, vocab);
            if (targets[r] < 0)
            {
                Assert.All(grad.AsSpan(r * vocab, vocab).ToArray(), g => Assert.Equal(0f, g));
                continue;
            }
            double max = row.ToArray().Max(), sum = 0;
            foreach (float z in row) sum += Math.Exp(z - max);
            expected += Math.Log(sum) - (row[targets[r]] - max);
            for (int i = 0; i < vocab; i++)
            {
                double g = (Math.Exp(row[i] - max) / sum - (i == targets[r] ? 1 : 0)) * scale;
                Assert.True(Math.Abs(g - grad[r * vocab + i]) <= 1e-6 + 1e-4 * Math.Abs(g), $"row {r} logit {i}: {grad[r * vocab + i]} vs {g}");
            }
        }
        Assert.Equal(expected, loss, 1e-3);
    }
}
