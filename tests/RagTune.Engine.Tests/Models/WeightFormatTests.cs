// The decoder fixtures with weights held as bf16 and Q8: logits and next-token NLL stay close to PyTorch's fp32
// golden values (the accuracy cost a user trades for speed), the greedy continuation stays the same for bf16,
// and decoding a token allocates nothing in any format.
using RagTune.Engine.Kernels;
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class WeightFormatTests
{
    public static TheoryData<string, WeightFormat, double, double> Cases()
    {
        var data = new TheoryData<string, WeightFormat, double, double>();
        // Bounds are 2–3× the worst these fixtures show (bench/RESULTS.md lists the measured values: bf16 up to 0.10
        // logit / 0.005 NLL, Q8 up to 0.19 / 0.014): bf16 rounds each weight by ≤ 2^-9 relative, Q8 by ≤ 1/254 of its
        // block's largest magnitude, and Q8 decoding also rounds the activations.
        foreach (var name in Fixtures.Decoders)
        {
            data.Add(name, WeightFormat.BF16, 0.25, 0.015);
            data.Add(name, WeightFormat.Q8, 0.4, 0.04);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Logits_and_nll_stay_close_to_fp32_pytorch(string name, WeightFormat format, double maxLogitError, double maxNllError)
    {
        var golden = Fixtures.Golden(name);
        var model = DecoderModel.Load(Fixtures.Dir(name), format);
        int[] ids = golden.GetProperty("prompt_ids").Ints();
        int v = model.Config.VocabSize;
        var logits = new float[ids.Length * v];
        model.CreateSession(capacity: 64, chunk: 16).ForwardAll(ids, logits);
        var expected = golden.GetProperty("logits").EnumerateArray().SelectMany(r => r.Floats()).ToArray();
        double maxDiff = 0;
        for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - logits[i]));
        double nllDiff = Math.Abs(MeanNll(expected, ids, v) - MeanNll(logits, ids, v));
        Assert.True(maxDiff < maxLogitError, $"{name} {format}: max |Δlogit| = {maxDiff}");
        Assert.True(nllDiff < maxNllError, $"{name} {format}: |ΔNLL| = {nllDiff}");
    }

    [Theory]
    [InlineData("qwen2-tiny")]
    [InlineData("qwen3-tiny-bf16")]
    public void Bf16_weights_keep_the_greedy_continuation(string name)
    {
        var golden = Fixtures.Golden(name);
        var session = DecoderModel.Load(Fixtures.Dir(name), WeightFormat.BF16).CreateSession(capacity: 128);
        int[] want = golden.GetProperty("greedy_ids").Ints();
        var logits = session.Forward(golden.GetProperty("prompt_ids").Ints());
        var got = new List<int>();
        for (int n = 0; n < want.Length; n++)
        {
            got.Add(DecoderGoldenTests.ArgMax(logits));
            logits = session.Forward([got[^1]]);
        }
        Assert.Equal(want, got);
    }

    [Theory]
    [InlineData(WeightFormat.F32)]
    [InlineData(WeightFormat.BF16)]
    [InlineData(WeightFormat.Q8)]
    public void Decoding_a_token_allocates_nothing(WeightFormat format)
    {
        var model = DecoderModel.Load(Fixtures.Dir("qwen2-tiny"), format);
        var session = model.CreateSession(capacity: 64);
        session.Forward([1, 2, 3, 4, 5, 6, 7, 8]);
        int[] token = [9];
        session.Forward(token);  // first decode step on this thread: kernels' thread-static scratch is created here
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++) session.Forward(token);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>Mean over positions t of −log softmax(logits[t])[ids[t+1]].</summary>
    internal static double MeanNll(float[] logits, int[] ids, int v)
    {
        double total = 0;
        for (int t = 0; t + 1 < ids.Length; t++)
            total += Softmax.NegativeLogLikelihood(logits.AsSpan(t * v, v), ids[t + 1]);
        return total / (ids.Length - 1);
    }
}
