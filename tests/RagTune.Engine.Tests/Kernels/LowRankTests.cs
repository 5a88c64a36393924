// The LoRA decode kernel (B·u added to a range of output rows) against its naive twin, for ranks that take the vector
// path (multiples of 8) and ranks that do not, on row ranges that start and end anywhere.
using RagTune.Engine.Kernels;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;

namespace RagTune.Engine.Tests.Kernels;

public class LowRankTests
{
    [Theory]
    [InlineData(8, 0, 37)]
    [InlineData(8, 2, 64)]
    [InlineData(32, 0, 64)]
    [InlineData(16, 5, 64)]
    [InlineData(64, 3, 29)]
    [InlineData(4, 1, 50)]
    [InlineData(12, 0, 64)]
    public unsafe void AddRows_matches_the_naive_kernel(int rank, int o0, int o1)
    {
        const int outDim = 64;
        var b = Random(outDim * rank, 1);
        var u = Random(rank, 2);
        var start = Random(o1 - o0, 3);
        var fast = (float[])start.Clone();
        var naive = (float[])start.Clone();
        fixed (float* pb = b, pu = u, pf = fast, pn = naive)
        {
            LowRank.AddRows(pb, pu, rank, o0, o1, pf);
            LowRank.AddRowsNaive(pb, pu, rank, o0, o1, pn);
        }
        AssertClose(naive, fast, 1e-5f);
        Assert.NotEqual(start, naive);
    }
}
