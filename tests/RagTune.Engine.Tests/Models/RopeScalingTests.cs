// RoPE inverse frequencies against transformers' formulas (values from tools/reference/make_tiny_models.py's rope_inv_freq).
using RagTune.Engine.Models;
using Xunit;

namespace RagTune.Engine.Tests.Models;

public class RopeScalingTests
{
    [Fact]
    public void Default_frequencies_are_theta_to_the_minus_2i_over_d()
    {
        Kernels.KernelAgreementTests.AssertClose([1f, 0.0376060307f, 0.00141421345f, 5.31829573e-05f],
            RopeScaling.InverseFrequencies(8, 500000.0, null), 1e-6f);
    }

    [Fact]
    public void Llama3_keeps_high_frequencies_smooths_the_middle_and_divides_low_ones()
    {
        // wavelengths 6.3 (< 64: kept), 167 (between 64 and 256: smoothed), 4443 and 118k (> 256: divided by 8).
        var scaling = new RopeScaling("llama3", 8.0, 1.0, 4.0, 256);
        Kernels.KernelAgreementTests.AssertClose([1f, 0.0105382307f, 0.000176776681f, 6.64786967e-06f],
            RopeScaling.InverseFrequencies(8, 500000.0, scaling), 1e-6f);
    }

    [Fact]
    public void Linear_divides_every_frequency_by_the_factor()
    {
        var plain = RopeScaling.InverseFrequencies(16, 10000.0, null);
        var scaled = RopeScaling.InverseFrequencies(16, 10000.0, new RopeScaling("linear", 2.0, 0, 0, 0));
        Kernels.KernelAgreementTests.AssertClose(plain.Select(f => f / 2).ToArray(), scaled, 1e-7f);
    }
}
