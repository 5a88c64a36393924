// A Linear's weight and bias as a MatVecOperand for the fused decode kernels.
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

internal static class LinearOperands
{
    public static MatVecOperand Of(Linear linear) => new(linear.Weight, linear.Bias);
}
