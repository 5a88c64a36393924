// A process-independent string hash (FNV-1a) for deriving per-item and per-metric random seeds.
namespace RagTune.Eval.Data;

public static class StableHash
{
    public static int Combine(int seed, string key)
    {
        unchecked
        {
            uint h = 2166136261u ^ (uint)seed;
            h *= 16777619u;
            foreach (char c in key)
            {
                h ^= c;
                h *= 16777619u;
            }
            return (int)(h & 0x7FFFFFFF);
        }
    }
}
