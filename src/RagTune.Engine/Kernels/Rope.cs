// Rotary position embedding in Hugging Face's rotate_half convention: the two halves of each head are the pair
// (x1 = x[i], x2 = x[i + D/2]) rotated by angle pos·inv_freq[i]; cos/sin are precomputed per position.
// Shapes: x [T, heads·D] (T rows at positions start..start+T-1), invFreq [D/2], cos/sin tables [P, D/2].
// The pairs are rotated 16 (512-bit path, KernelDispatch) or 8 at a time, with the same multiplies and adds as the
// scalar loop (no fused multiply-add), so every path gives the same bits.
using System.Runtime.Intrinsics;

namespace RagTune.Engine.Kernels;

public static unsafe class Rope
{
    /// <summary>Fills cos/sin [positions, D/2] the way HF does: angle = float(pos)·inv_freq in fp32, then cos/sin.</summary>
    public static void BuildTables(ReadOnlySpan<float> invFreq, int positions, Span<float> cos, Span<float> sin)
        => BuildTables(invFreq, 0, positions, cos, sin);

    /// <summary>Fills the rows of positions <paramref name="first"/>..first+count−1 of the cos/sin tables.</summary>
    public static void BuildTables(ReadOnlySpan<float> invFreq, int first, int count, Span<float> cos, Span<float> sin)
    {
        int half = invFreq.Length, positions = first + count;
        if (cos.Length < positions * half || sin.Length < positions * half)
            throw new ArgumentException($"rope tables need {positions}x{half} floats");
        for (int p = first; p < positions; p++)
            for (int i = 0; i < half; i++)
            {
                float angle = p * invFreq[i];
                cos[p * half + i] = MathF.Cos(angle);
                sin[p * half + i] = MathF.Sin(angle);
            }
    }

    /// <summary>In place: x·cos + rotate_half(x)·sin for every head of every row.</summary>
    public static void Apply(Span<float> x, int rows, int heads, int headDim, int startPos, ReadOnlySpan<float> cos, ReadOnlySpan<float> sin)
    {
        int half = headDim / 2;
        if (x.Length < rows * heads * headDim || cos.Length < (startPos + rows) * half || sin.Length < (startPos + rows) * half)
            throw new ArgumentException($"rope: x {x.Length} < {rows}x{heads}x{headDim} or tables shorter than position {startPos + rows}");
        bool wide = KernelDispatch.Width == VectorWidth.Bits512;
        fixed (float* px = x, pc = cos, ps = sin)
            for (int t = 0; t < rows; t++)
            {
                float* c = pc + (long)(startPos + t) * half, s = ps + (long)(startPos + t) * half;
                for (int h = 0; h < heads; h++)
                    Rotate(px + (long)(t * heads + h) * headDim, half, c, s, wide);
            }
    }

    /// <summary>One head: (x1, x2) ← (x1·c − x2·s, x2·c + x1·s) for the pairs (x[i], x[i + half]).</summary>
    private static void Rotate(float* head, int half, float* c, float* s, bool wide)
    {
        int i = 0;
        if (wide)
            for (; i + 16 <= half; i += 16)
            {
                Vector512<float> x1 = Vector512.Load(head + i), x2 = Vector512.Load(head + half + i);
                Vector512<float> ci = Vector512.Load(c + i), si = Vector512.Load(s + i);
                (x1 * ci - x2 * si).Store(head + i);
                (x2 * ci + x1 * si).Store(head + half + i);
            }
        if (Vector256.IsHardwareAccelerated)
            for (; i + 8 <= half; i += 8)
            {
                Vector256<float> x1 = Vector256.Load(head + i), x2 = Vector256.Load(head + half + i);
                Vector256<float> ci = Vector256.Load(c + i), si = Vector256.Load(s + i);
                (x1 * ci - x2 * si).Store(head + i);
                (x2 * ci + x1 * si).Store(head + half + i);
            }
        for (; i < half; i++)
        {
            float x1 = head[i], x2 = head[i + half];
            head[i] = x1 * c[i] - x2 * s[i];
            head[i + half] = x2 * c[i] + x1 * s[i];
        }
    }

    /// <summary>The oracle: builds rotate_half(x) explicitly and evaluates cos/sin in double from inv_freq.</summary>
    public static void ApplyNaive(Span<float> x, int rows, int heads, int headDim, int startPos, ReadOnlySpan<float> invFreq)
    {
        int half = headDim / 2;
        var rotated = new double[headDim];
        for (int t = 0; t < rows; t++)
            for (int h = 0; h < heads; h++)
            {
                var head = x.Slice((t * heads + h) * headDim, headDim);
                for (int i = 0; i < half; i++)
                {
                    rotated[i] = -head[i + half];
                    rotated[i + half] = head[i];
                }
                for (int j = 0; j < headDim; j++)
                {
                    double angle = (double)(startPos + t) * invFreq[j % half];
                    head[j] = (float)(head[j] * Math.Cos(angle) + rotated[j] * Math.Sin(angle));
                }
            }
    }
}
