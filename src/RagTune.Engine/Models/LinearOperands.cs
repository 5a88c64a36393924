// Reads a Linear's weight storage as a MatVecOperand for the fused decode kernels. WeightMatrix exposes only its float32
// array publicly, so the bf16 and Q8 arrays are read through UnsafeAccessor (no reflection cost, no copy); if
// WeightMatrix's storage changes, LinearOperandsTests fails for that format rather than decoding going wrong.
using System.Runtime.CompilerServices;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

internal static class LinearOperands
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_bf16")]
    private static extern ref readonly ushort[]? BF16(WeightMatrix matrix);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_q8Values")]
    private static extern ref readonly sbyte[]? Q8Values(WeightMatrix matrix);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_q8Scales")]
    private static extern ref readonly float[]? Q8Scales(WeightMatrix matrix);

    public static MatVecOperand Of(Linear linear) => Of(linear.Weight, linear.Bias);

    public static MatVecOperand Of(WeightMatrix w, float[]? bias)
    {
        var operand = w.Format switch
        {
            WeightFormat.F32 => new MatVecOperand(w.Rows, w.Cols, w.Float32, null, null, null, bias),
            WeightFormat.BF16 => new MatVecOperand(w.Rows, w.Cols, null, BF16(w), null, null, bias),
            WeightFormat.Q8 => new MatVecOperand(w.Rows, w.Cols, null, null, Q8Values(w), Q8Scales(w), bias),
            _ => throw new EngineException($"a {w.Rows}x{w.Cols} weight held as {w.Format} has no decode kernel"),
        };
        if (operand.F32 is null && operand.BF16 is null && (operand.Q8Values is null || operand.Q8Scales is null))
            throw new EngineException($"the storage of a {w.Rows}x{w.Cols} {w.Format} weight matrix could not be read for decoding");
        return operand;
    }
}
