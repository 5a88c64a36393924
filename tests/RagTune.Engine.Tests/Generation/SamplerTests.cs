// Sampler semantics on crafted logits: repetition penalty by hand, greedy, top-k ties, top-p nucleus, temperature; NaN,
// +∞ or no finite logit is an EngineException (never an index out of range or a silent token 0).
using RagTune.Engine.Generation;
using Xunit;

namespace RagTune.Engine.Tests.Generation;

public class SamplerTests
{
    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_scores_of_seen_tokens()
    {
        float[] scores = [2f, -1f, 0.5f, 3f];
        Sampler.ApplyRepetitionPenalty(scores, [true, true, false, false], 2f);
        Assert.Equal([1f, -2f, 0.5f, 3f], scores);
    }

    [Theory]
    [InlineData(0f, float.NaN, 1f)]
    [InlineData(0.8f, float.NaN, 1f)]
    [InlineData(0.8f, float.NaN, float.NaN)]
    [InlineData(0f, float.PositiveInfinity, 1f)]
    [InlineData(0.8f, float.PositiveInfinity, 1f)]
    [InlineData(0.8f, float.NegativeInfinity, float.NegativeInfinity)]
    [InlineData(0f, float.NegativeInfinity, float.NegativeInfinity)]
    public void Non_finite_logits_are_an_engine_error(float temperature, float a, float b)
    {
        var sampler = new Sampler(3, new SamplingOptions { Temperature = temperature, TopK = 2, Seed = 1 });
        var e = Assert.Throws<EngineException>(() => sampler.Sample([a, b, b]));
        Assert.Contains("the logits hold NaN or +∞, or no finite value", e.Message);
        // −∞ marks a masked token: allowed while another token is finite.
        Assert.Equal(1, sampler.Sample([float.NegativeInfinity, 2f, float.NegativeInfinity]));
    }

    [Fact]
    public void Repetition_penalty_changes_the_greedy_choice()
    {
        // 3 / 1.5 = 2 < 2.5: the seen token loses to the unseen one.
        var sampler = new Sampler(2, new SamplingOptions { RepetitionPenalty = 1.5f });
        sampler.Observe([0]);
        Assert.Equal(1, sampler.Sample([3f, 2.5f]));
        // Once token 1 is chosen it is seen too: 2.5 / 1.5 < 3 / 1.5.
        Assert.Equal(0, sampler.Sample([3f, 2.5f]));
    }

    [Fact]
    public void Greedy_is_argmax()
    {
        var sampler = new Sampler(5, new SamplingOptions());
        Assert.Equal(3, sampler.Sample([0.1f, -4f, 2f, 7f, 6.9f]));
    }

    [Fact]
    public void Top_k_keeps_ties_with_the_kth_score()
    {
        var counts = Draw([1f, 1f, 1f, 0f, 0.5f], new SamplingOptions { Temperature = 1f, TopK = 2, Seed = 7 }, 3000);
        Assert.Equal(0, counts[3]);
        Assert.Equal(0, counts[4]);
        Assert.All(counts[..3], c => Assert.InRange(c, 850, 1150));
    }

    [Fact]
    public void Top_p_keeps_the_nucleus_only_in_its_renormalised_proportions()
    {
        // p = [0.5, 0.3, 0.15, 0.05]; top-p 0.75 drops the tail whose cumulative mass ≤ 0.25 (0.05 + 0.15).
        float[] logits = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];
        var counts = Draw(logits, new SamplingOptions { Temperature = 1f, TopP = 0.75f, Seed = 11 }, 8000);
        Assert.Equal(0, counts[2] + counts[3]);
        Assert.InRange(counts[0] / 8000.0, 0.625 - 0.02, 0.625 + 0.02);
    }

    [Fact]
    public void Temperature_sampling_follows_softmax_of_scaled_logits()
    {
        float[] logits = [1f, 2f, 0f];
        const float t = 0.7f;
        var expected = logits.Select(l => Math.Exp(l / t)).ToArray();
        double z = expected.Sum();
        var counts = Draw(logits, new SamplingOptions { Temperature = t, Seed = 3 }, 20000);
        for (int i = 0; i < 3; i++)
            Assert.InRange(counts[i] / 20000.0, expected[i] / z - 0.015, expected[i] / z + 0.015);
    }

    [Fact]
    public void Same_seed_same_draws_different_seed_different_draws()
    {
        float[] logits = Enumerable.Range(0, 50).Select(i => MathF.Sin(i)).ToArray();
        int[] Run(ulong seed)
        {
            var s = new Sampler(50, new SamplingOptions { Temperature = 1f, Seed = seed });
            return Enumerable.Range(0, 40).Select(_ => s.Sample(logits)).ToArray();
        }
        Assert.Equal(Run(42), Run(42));
        Assert.NotEqual(Run(42), Run(43));
    }

    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        // Reference values of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var r = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, r.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, r.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, r.NextUInt64());
    }

    [Fact]
    public void Invalid_options_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new Sampler(3, new SamplingOptions { TopP = 0f }));
        Assert.Throws<ArgumentException>(() => new Sampler(3, new SamplingOptions { Temperature = -1f }));
        Assert.Throws<ArgumentException>(() => new Sampler(3, new SamplingOptions { RepetitionPenalty = 0f }));
    }

    private static int[] Draw(float[] logits, SamplingOptions options, int n)
    {
        var sampler = new Sampler(logits.Length, options);
        var counts = new int[logits.Length];
        for (int i = 0; i < n; i++) counts[sampler.Sample(logits)]++;
        return counts;
    }
}
