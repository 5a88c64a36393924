// The per-(head, row) Dot/MultiplyAdd loops the training attention used before the blocked GEMM kernel, kept as the
// naive twin the blocked forward and backward are checked against (softmax now the max-subtracted one).
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Tests.Training;

internal static class AttentionTrainingNaive
{
    public static void Forward(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, Span<float> output,
        Span<float> probs, int rows, int heads, int kvHeads, int headDim, bool causal)
    {
        int d = headDim, group = heads / kvHeads, qs = heads * d, ks = kvHeads * d;
        float scale = 1f / MathF.Sqrt(d);
        output[..(rows * qs)].Clear();
        for (int h = 0; h < heads; h++)
        {
            int kh = h / group;
            for (int t = 0; t < rows; t++)
            {
                var p = probs.Slice((h * rows + t) * rows, rows);
                p.Clear();
                var qh = q.Slice(t * qs + h * d, d);
                int seen = causal ? t + 1 : rows;
                for (int s = 0; s < seen; s++)
                    p[s] = TensorPrimitives.Dot(qh, k.Slice(s * ks + kh * d, d)) * scale;
                Softmax.Forward(p[..seen]);
                var o = output.Slice(t * qs + h * d, d);
                for (int s = 0; s < seen; s++)
                    TensorPrimitives.MultiplyAdd(v.Slice(s * ks + kh * d, d), p[s], o, o);
            }
        }
    }

    public static void Backward(ReadOnlySpan<float> dout, ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v,
        ReadOnlySpan<float> probs, Span<float> dq, Span<float> dk, Span<float> dv, int rows, int heads, int kvHeads, int headDim,
        bool causal)
    {
        int d = headDim, group = heads / kvHeads, qs = heads * d, ks = kvHeads * d;
        float scale = 1f / MathF.Sqrt(d);
        var dp = new float[rows];
        for (int h = 0; h < heads; h++)
        {
            int kh = h / group;
            for (int t = 0; t < rows; t++)
            {
                int seen = causal ? t + 1 : rows;
                var p = probs.Slice((h * rows + t) * rows, seen);
                var dot = dout.Slice(t * qs + h * d, d);
                for (int s = 0; s < seen; s++)
                {
                    dp[s] = TensorPrimitives.Dot(dot, v.Slice(s * ks + kh * d, d));
                    var dvs = dv.Slice(s * ks + kh * d, d);
                    TensorPrimitives.MultiplyAdd(dot, p[s], dvs, dvs);
                }
                float sum = TensorPrimitives.Dot(p, dp.AsSpan(0, seen));
                var qh = q.Slice(t * qs + h * d, d);
                var dqh = dq.Slice(t * qs + h * d, d);
                for (int s = 0; s < seen; s++)
                {
                    float ds = p[s] * (dp[s] - sum) * scale;
                    TensorPrimitives.MultiplyAdd(k.Slice(s * ks + kh * d, d), ds, dqh, dqh);
                    var dks = dk.Slice(s * ks + kh * d, d);
                    TensorPrimitives.MultiplyAdd(qh, ds, dks, dks);
                }
            }
        }
    }
}
