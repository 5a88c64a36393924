// Scaled dot-product attention over a key/value store, with grouped-query heads (GQA) and an optional causal mask.
// Shapes: q, output [T, H·D] (T query rows); k, v [KV, cap, D] head-major (the KV-cache layout; cap = row stride);
// H query heads share KV heads in groups of H/KV, as transformers' repeat_kv does (query head h reads kv head h / (H/KV)).
// Causal: query row t sits at position start + t and sees keys 0..start+t. Otherwise every row sees keys 0..keys-1.
using System.Numerics.Tensors;

namespace RagTune.Engine.Kernels;

public static class Attention
{
    public static unsafe void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        Span<float> scores, in AttentionShape shape)
    {
        shape.Check(q, k, v, output, scores);
        int h = shape.Heads, d = shape.HeadDim, group = shape.Heads / shape.KvHeads;
        float scale = 1f / MathF.Sqrt(d);
        fixed (float* pq = q, pk = k)
        {
            for (int t = 0; t < shape.Rows; t++)
            {
                int visible = shape.Causal ? shape.Start + t + 1 : shape.Keys;
                for (int head = 0; head < h; head++)
                {
                    int kvHead = head / group;
                    float* qh = pq + (t * h + head) * d;
                    float* kh = pk + (long)kvHead * shape.Capacity * d;
                    var sc = scores[..visible];
                    for (int s = 0; s < visible; s++)
                        sc[s] = MatMul.Dot(qh, kh + (long)s * d, d) * scale;
                    Softmax.Forward(sc);
                    var o = output.Slice((t * h + head) * d, d);
                    o.Clear();
                    var vh = v.Slice(kvHead * shape.Capacity * d);
                    for (int s = 0; s < visible; s++)
                        TensorPrimitives.MultiplyAdd(vh.Slice(s * d, d), sc[s], o, o);
                }
            }
        }
    }

    /// <summary>The oracle: explicit loops in double, softmax by definition.</summary>
    public static void ForwardNaive(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        in AttentionShape shape)
    {
        int h = shape.Heads, d = shape.HeadDim, group = shape.Heads / shape.KvHeads;
        for (int t = 0; t < shape.Rows; t++)
        {
            int visible = shape.Causal ? shape.Start + t + 1 : shape.Keys;
            for (int head = 0; head < h; head++)
            {
                int kv = head / group;
                var p = new double[visible];
                double max = double.NegativeInfinity;
                for (int s = 0; s < visible; s++)
                {
                    double dot = 0;
                    for (int i = 0; i < d; i++)
                        dot += (double)q[(t * h + head) * d + i] * k[(kv * shape.Capacity + s) * d + i];
                    p[s] = dot / Math.Sqrt(d);
                    max = Math.Max(max, p[s]);
                }
                double sum = 0;
                for (int s = 0; s < visible; s++) sum += p[s] = Math.Exp(p[s] - max);
                for (int i = 0; i < d; i++)
                {
                    double acc = 0;
                    for (int s = 0; s < visible; s++)
                        acc += p[s] / sum * v[(kv * shape.Capacity + s) * d + i];
                    output[(t * h + head) * d + i] = (float)acc;
                }
            }
        }
    }
}

/// <summary>The dimensions of one attention call (see <see cref="Attention"/> for the layout).</summary>
public readonly record struct AttentionShape(int Rows, int Heads, int KvHeads, int HeadDim, int Capacity, int Start, int Keys, bool Causal)
{
    internal void Check(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output, Span<float> scores)
    {
        int maxKeys = Causal ? Start + Rows : Keys;
        if (KvHeads <= 0 || Heads % KvHeads != 0)
            throw new ArgumentException($"attention: {Heads} heads are not a multiple of {KvHeads} kv heads");
        if (q.Length < Rows * Heads * HeadDim || output.Length < Rows * Heads * HeadDim
            || k.Length < KvHeads * Capacity * HeadDim || v.Length < KvHeads * Capacity * HeadDim
            || maxKeys > Capacity || scores.Length < maxKeys)
            throw new ArgumentException($"attention shapes: q {q.Length}, k {k.Length}, v {v.Length}, out {output.Length}, scores {scores.Length} for {this}");
    }
}
