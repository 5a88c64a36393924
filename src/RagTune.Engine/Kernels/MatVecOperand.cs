// One weight matrix W [Rows, Cols] as the fused decode dispatches read it, in whatever format it is held (float32, bf16
// bits, Q8 values + scales or GGUF quantised blocks; in a private array or mapped from the checkpoint), plus an optional
// bias [Rows] and the session's LoRA adapter for this projection, if any. The data is looked up at each product, not
// cached: a matrix that is later copied for writing (adapter merging) is read where it is.

namespace RagTune.Engine.Kernels;

internal readonly record struct MatVecOperand(WeightMatrix Weight, float[]? Bias, LowRankTerm? Adapter = null)
{
    public int Rows => Weight.Rows;
    public int Cols => Weight.Cols;
    public WeightFormat Format => Weight.Format;

    /// <summary>dst[o − o0] = W[o]·x + b[o] (+ B[o]·u, the adapter's half-done low-rank term u = scale·A·x) for o in
    /// [o0, o1), with x prepared for this operand's format.</summary>
    public unsafe void Multiply(MatVecInput x, ReadOnlySpan<float> u, int o0, int o1, float* dst)
    {
        fixed (float* b = Bias)
        {
            switch (Weight.Format)
            {
                case WeightFormat.BF16:
                    fixed (ushort* w = Weight.BF16Bits) MatVecBF16.Rows(x.Float32, x.Permuted, w, b, Cols, o0, o1, dst);
                    break;
                case WeightFormat.Q8:
                    fixed (sbyte* w = Weight.Q8Values)
                    fixed (float* s = Weight.Q8Scales) Q8.Rows(x.Q8Values, x.Q8Abs, x.Q8Negative, x.Q8Scales, w, s, b, Cols, o0, o1, dst, x.Width == VectorWidth.Bits512);
                    break;
                case var f when WeightFormats.IsGgmlBlocks(f):
                    fixed (byte* w = Weight.GgmlBlocks)
                        GgmlMatVec.Rows(Weight.GgmlType, x.Q8Values, x.Q8Scales, x.Q8Sums, w, b, Cols, o0, o1, dst, x.Width);
                    break;
                default:
                    fixed (float* w = Weight.Float32) MatMul.Rows(x.Float32, w, b, Cols, o0, o1, dst);
                    break;
            }
        }
        if (Adapter is { } adapter) LowRank.AddRows(adapter, u, o0, o1, dst);
    }
}
