// A Linear's weight and bias, with the session's adapter for it, as a MatVecOperand for the fused decode kernels.
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

internal static class LinearOperands
{
    public static MatVecOperand Of(Linear linear, AdapterSet? adapters = null) => new(linear.Weight, linear.Bias, adapters?.For(linear)?.Term);
}
