// Keys and values of one sequence, per layer, preallocated to a fixed capacity of positions.
// Layout per layer: K, V [KV, Capacity, D] head-major, so the attention kernel reads each head's keys contiguously.
namespace RagTune.Engine.Models;

public sealed class KvCache
{
    private readonly float[][] _keys;
    private readonly float[][] _values;

    public int Capacity { get; }
    public int KvHeads { get; }
    public int HeadDim { get; }

    /// <summary>Positions stored so far (the next token goes to position Length).</summary>
    public int Length { get; internal set; }

    public KvCache(int layers, int kvHeads, int headDim, int capacity)
    {
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "capacity must be positive");
        Capacity = capacity;
        KvHeads = kvHeads;
        HeadDim = headDim;
        _keys = new float[layers][];
        _values = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            _keys[l] = new float[(long)kvHeads * capacity * headDim];
            _values[l] = new float[(long)kvHeads * capacity * headDim];
        }
    }

    public float[] Keys(int layer) => _keys[layer];
    public float[] Values(int layer) => _values[layer];

    /// <summary>Copies k, v [T, KV·D] (token-major, as projected) to positions start..start+T-1.</summary>
    internal void Write(int layer, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int start, int rows)
    {
        int d = HeadDim;
        for (int t = 0; t < rows; t++)
            for (int h = 0; h < KvHeads; h++)
            {
                int dst = (h * Capacity + start + t) * d, src = (t * KvHeads + h) * d;
                k.Slice(src, d).CopyTo(_keys[layer].AsSpan(dst, d));
                v.Slice(src, d).CopyTo(_values[layer].AsSpan(dst, d));
            }
    }

    /// <summary>Forgets every position (the buffers are kept).</summary>
    public void Clear() => Length = 0;

    /// <summary>Keeps the first <paramref name="length"/> positions (e.g. a shared prompt prefix).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > Length) throw new ArgumentOutOfRangeException(nameof(length), length, $"0..{Length}");
        Length = length;
    }
}
