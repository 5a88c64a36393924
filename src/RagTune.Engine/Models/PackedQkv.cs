// How a packed q/k/v projection's output columns hold the heads, and the copies that split it into q [T, H·D],
// k and v [T, KV·D] (forward) or gather their gradients back (backward). InternLM2's wqkv groups the columns per
// key/value head, [KV][G + 2][D] with G = H/KV: the group's G query heads, then its key head and its value head
// (modeling_internlm2.py: rearrange "b q (h gs d) -> b q h gs d", q = [..., :G, :], k = [..., -2, :], v = [..., -1, :]);
// GPT-2's c_attn is [q | k | v].
namespace RagTune.Engine.Models;

public sealed class PackedQkv
{
    // D-long runs: packed column offset → (0 = q, 1 = k, 2 = v, column offset there).
    private readonly (int Source, int Target, int Offset)[] _runs;
    private readonly int _headDim, _qWidth, _kvWidth;

    /// <summary>Columns of the packed output: (H + 2·KV)·D.</summary>
    public int Width { get; }

    private PackedQkv(int heads, int kvHeads, int headDim, (int, int, int)[] runs)
    {
        _headDim = headDim;
        _qWidth = heads * headDim;
        _kvWidth = kvHeads * headDim;
        Width = _qWidth + 2 * _kvWidth;
        _runs = runs;
    }

    /// <summary>InternLM2's grouped layout [KV][G + 2][D].</summary>
    public static PackedQkv Grouped(int heads, int kvHeads, int headDim)
    {
        int g = heads / kvHeads;
        var runs = new List<(int, int, int)>();
        for (int j = 0; j < kvHeads; j++)
        {
            int block = j * (g + 2) * headDim;
            for (int i = 0; i < g; i++) runs.Add((block + i * headDim, 0, (j * g + i) * headDim));
            runs.Add((block + g * headDim, 1, j * headDim));
            runs.Add((block + (g + 1) * headDim, 2, j * headDim));
        }
        return new PackedQkv(heads, kvHeads, headDim, [.. runs]);
    }

    /// <summary>GPT-2's c_attn: [q | k | v], each H·D (KV·D) wide (modeling_gpt2.py: c_attn(x).split(embed_dim, dim=2)).</summary>
    public static PackedQkv Contiguous(int heads, int kvHeads, int headDim)
    {
        var runs = new List<(int, int, int)>();
        for (int h = 0; h < heads; h++) runs.Add((h * headDim, 0, h * headDim));
        for (int j = 0; j < kvHeads; j++)
        {
            runs.Add(((heads + j) * headDim, 1, j * headDim));
            runs.Add(((heads + kvHeads + j) * headDim, 2, j * headDim));
        }
        return new PackedQkv(heads, kvHeads, headDim, [.. runs]);
    }

    /// <summary>packed [T, Width] → q [T, H·D], k [T, KV·D], v [T, KV·D].</summary>
    public void Unpack(ReadOnlySpan<float> packed, Span<float> q, Span<float> k, Span<float> v, int rows)
    {
        for (int t = 0; t < rows; t++)
        {
            var row = packed.Slice(t * Width, Width);
            foreach (var (source, target, offset) in _runs)
            {
                var dst = target switch { 0 => q.Slice(t * _qWidth + offset, _headDim), 1 => k.Slice(t * _kvWidth + offset, _headDim), _ => v.Slice(t * _kvWidth + offset, _headDim) };
                row.Slice(source, _headDim).CopyTo(dst);
            }
        }
    }

    /// <summary>The transpose of <see cref="Unpack"/>: dq, dk, dv → dpacked [T, Width] (every column written).</summary>
    public void Pack(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> packed, int rows)
    {
        for (int t = 0; t < rows; t++)
        {
            var row = packed.Slice(t * Width, Width);
            foreach (var (source, target, offset) in _runs)
            {
                var src = target switch { 0 => q.Slice(t * _qWidth + offset, _headDim), 1 => k.Slice(t * _kvWidth + offset, _headDim), _ => v.Slice(t * _kvWidth + offset, _headDim) };
                src.CopyTo(row.Slice(source, _headDim));
            }
        }
    }
}
