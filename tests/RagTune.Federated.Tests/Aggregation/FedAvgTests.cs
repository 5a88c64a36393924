// FedAvg's arithmetic alone: float64 accumulation (a float32 sum would lose the small term) and the weighted mean.
using RagTune.Federated.Aggregation;

namespace RagTune.Federated.Tests.Aggregation;

public sealed class FedAvgTests
{
    [Fact]
    public void The_average_is_summed_in_float64_and_rounded_once()
    {
        float[][] a = [[1e8f, 2f]], b = [[1f, 4f]], c = [[-1e8f, 6f]];
        var mean = FedAvg.Aggregate([(a, 1), (b, 1), (c, 1)]);
        // In float32, 1e8 + 1 is 1e8 and the mean would be 0.
        Assert.Equal((float)(1.0 / 3), mean[0][0]);
        Assert.Equal(4f, mean[0][1]);
    }

    [Fact]
    public void Weights_are_the_example_counts()
    {
        var mean = FedAvg.Aggregate([([[1f]], 1), ([[4f]], 3)]);
        Assert.Equal(3.25f, mean[0][0]);
        Assert.Equal(3.25, FedAvg.WeightedMean([(1, 1.0), (3, 4.0)]));
        Assert.True(double.IsNaN(FedAvg.WeightedMean([])));
    }
}
