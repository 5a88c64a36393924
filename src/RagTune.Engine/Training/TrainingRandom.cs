// The trainer's random stream (SplitMix64) with its state exposed, so a checkpoint can store it and a resumed run
// draws exactly the numbers the uninterrupted run would have drawn (System.Random cannot be saved).
namespace RagTune.Engine.Training;

public sealed class TrainingRandom(ulong seed)
{
    public ulong State { get; set; } = seed;

    public ulong NextUInt64()
    {
        ulong z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextSingle() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>Uniform in [0, n).</summary>
    public int Next(int n) => (int)((NextUInt64() >> 33) % (ulong)n);

    /// <summary>Fisher–Yates shuffle.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
