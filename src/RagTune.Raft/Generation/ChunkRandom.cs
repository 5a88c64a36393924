// A seeded random stream per chunk (SplitMix64 keyed by seed + chunk id): results do not depend on the order chunks finish in.
using System.Text;

namespace RagTune.Raft.Generation;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014) seeded with FNV-1a-64 of (seed, purpose, chunk id). Written out here rather than
/// System.Random so datasets stay reproducible across .NET versions.
/// </summary>
internal sealed class ChunkRandom
{
    private ulong _state;

    public ChunkRandom(ulong seed, string purpose, string chunkId) => _state = Key(seed, purpose, chunkId);

    public static ulong Key(ulong seed, string purpose, string chunkId)
    {
        var h = 14695981039346656037UL;
        foreach (var b in BitConverter.GetBytes(seed).Concat(Encoding.UTF8.GetBytes(purpose + "\0" + chunkId)))
        {
            h ^= b;
            h *= 1099511628211UL;
        }
        return h;
    }

    public ulong NextUInt64()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n) without modulo bias (rejection sampling).</summary>
    public int Next(int n)
    {
        if (n <= 0)
            throw new ArgumentOutOfRangeException(nameof(n));
        var limit = ulong.MaxValue - ulong.MaxValue % (ulong)n;
        ulong x;
        do
            x = NextUInt64();
        while (x >= limit);
        return (int)(x % (ulong)n);
    }

    public void Shuffle<T>(IList<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
