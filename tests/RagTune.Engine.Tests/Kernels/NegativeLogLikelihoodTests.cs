// Cross-entropy of one row against hand-computed values, including logits that would overflow exp() without the max shift.
using RagTune.Engine.Kernels;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public class NegativeLogLikelihoodTests
{
    [Fact]
    public void Uniform_logits_give_log_of_the_vocabulary_size() =>
        Assert.Equal(Math.Log(4), Softmax.NegativeLogLikelihood([2f, 2f, 2f, 2f], 1), 12);

    [Fact]
    public void Two_logits_match_the_closed_form()
    {
        // −log(e^1 / (e^1 + e^3)) = log(1 + e^2)
        Assert.Equal(Math.Log(1 + Math.Exp(2)), Softmax.NegativeLogLikelihood([1f, 3f], 0), 12);
    }

    [Fact]
    public void Large_logits_do_not_overflow() =>
        Assert.Equal(Math.Log(1 + Math.Exp(-1)), Softmax.NegativeLogLikelihood([1000f, 999f], 0), 9);
}
