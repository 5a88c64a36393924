// Federated averaging (McMahan et al. 2017, as Flower's aggregate() and weighted_loss_avg()): every tensor of the new global
// adapter is the mean of the sites' tensors weighted by their example counts, summed in float64 and rounded once to float32.
namespace RagTune.Federated.Aggregation;

public static class FedAvg
{
    /// <summary>
    /// The weighted mean of the sites' tensors: out[t][j] = Σ_i n_i · x_i[t][j] / Σ_i n_i, accumulated in float64 in the
    /// order of <paramref name="updates"/>. Every update must hold the same number of tensors with the same lengths
    /// (callers validate shapes first; a mismatch here is a programming error).
    /// </summary>
    public static float[][] Aggregate(IReadOnlyList<(IReadOnlyList<float[]> Tensors, long NumExamples)> updates)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0) throw new ArgumentException("FedAvg needs at least one update", nameof(updates));
        double total = 0;
        foreach (var (_, n) in updates)
        {
            if (n <= 0) throw new ArgumentException($"an update has {n} examples; expected a positive count", nameof(updates));
            total += n;
        }
        int count = updates[0].Tensors.Count;
        var result = new float[count][];
        var sum = Array.Empty<double>();
        for (int t = 0; t < count; t++)
        {
            int length = updates[0].Tensors[t].Length;
            if (sum.Length < length) sum = new double[length];
            else Array.Clear(sum, 0, length);
            foreach (var (tensors, n) in updates)
            {
                var x = tensors[t];
                if (tensors.Count != count || x.Length != length)
                    throw new ArgumentException($"tensor {t}: updates differ in count or length", nameof(updates));
                double weight = n;
                for (int j = 0; j < length; j++) sum[j] += x[j] * weight;
            }
            var mean = new float[length];
            for (int j = 0; j < length; j++) mean[j] = (float)(sum[j] / total);
            result[t] = mean;
        }
        return result;
    }

    /// <summary>Σ n_i · v_i / Σ n_i (Flower's weighted_loss_avg), in float64; NaN when there is nothing to average.</summary>
    public static double WeightedMean(IEnumerable<(long NumExamples, double Value)> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        double sum = 0, total = 0;
        foreach (var (n, v) in values)
        {
            sum += n * v;
            total += n;
        }
        return total > 0 ? sum / total : double.NaN;
    }
}
