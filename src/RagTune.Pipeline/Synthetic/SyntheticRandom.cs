// The seeded random stream of the synthetic benchmark (SplitMix64), so worlds and datasets are identical across .NET versions.
using RagTune.Engine.Generation;

namespace RagTune.Pipeline.Synthetic;

public sealed class SyntheticRandom(ulong seed)
{
    private readonly SplitMix64 _bits = new(seed);

    /// <summary>Uniform in [0, n) (modulo bias below 2^-30 for the sizes used here).</summary>
    public int Next(int n) => (int)((_bits.NextUInt64() >> 33) % (ulong)n);

    public double NextDouble() => _bits.NextDouble();

    /// <summary>Fisher–Yates.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
