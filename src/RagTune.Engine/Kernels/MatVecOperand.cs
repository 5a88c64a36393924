// One weight matrix W [Rows, Cols] as the fused decode dispatches read it: exactly one of float32, bf16 bits or Q8
// values + scales, plus an optional bias [Rows]. Arrays, not pointers, so each part pins them only while it runs.
namespace RagTune.Engine.Kernels;

internal readonly record struct MatVecOperand(int Rows, int Cols, float[]? F32, ushort[]? BF16, sbyte[]? Q8Values, float[]? Q8Scales,
    float[]? Bias)
{
    /// <summary>dst[o − o0] = W[o]·x + b[o] for o in [o0, o1), with x prepared for this operand's format.</summary>
    public unsafe void Multiply(MatVecInput x, int o0, int o1, float* dst)
    {
        fixed (float* b = Bias)
        {
            if (F32 is not null)
                fixed (float* w = F32) MatMul.Rows(x.Float32, w, b, Cols, o0, o1, dst);
            else if (BF16 is not null)
                fixed (ushort* w = BF16) MatVecBF16.Rows(x.Float32, x.Permuted, w, b, Cols, o0, o1, dst);
            else
                fixed (sbyte* w = Q8Values)
                fixed (float* s = Q8Scales) Q8.Rows(x.Q8Values, x.Q8Scales, w, s, b, Cols, o0, o1, dst);
        }
    }
}
