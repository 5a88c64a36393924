// The fused decode dispatches (q/k/v in one range, SwiGLU epilogue, residual add) against the naive kernels composed
// step by step, for each weight format; sizes large enough to go through the worker pool, row counts not multiples of 4.
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;
using RagTune.Engine.Threading;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;

namespace RagTune.Engine.Tests.Kernels;

public class FusedMatVecTests
{
    public enum Format { F32, BF16, Q8 }

    private static MatVecOperand Operand(Format format, int rows, int cols, int seed, bool bias)
    {
        var w = Random(rows * cols, seed, 0.1f);
        var b = bias ? Random(rows, seed + 1) : null;
        switch (format)
        {
            case Format.BF16:
                var bits = new ushort[w.Length];
                ReducedPrecision.FloatToBF16(w, bits);
                return new MatVecOperand(WeightMatrix.FromBF16(bits, rows, cols), b);
            case Format.Q8:
                var values = new sbyte[w.Length];
                var scales = new float[w.Length / Q8.BlockSize];
                Q8.Quantize(w, values, scales);
                return new MatVecOperand(WeightMatrix.FromQ8(values, scales, rows, cols), b);
            default:
                return new MatVecOperand(WeightMatrix.FromFloat32(w, rows, cols), b);
        }
    }

    /// <summary>y = W·x + b by the format's naive kernel.</summary>
    private static float[] Naive(MatVecOperand w, float[] x)
    {
        var y = new float[w.Rows];
        var m = w.Weight;
        if (m.Format == WeightFormat.F32) MatMul.ForwardNaive(x, m.Float32, w.Bias, y, 1, w.Cols, w.Rows);
        else if (m.Format == WeightFormat.BF16) MatVecBF16.ForwardNaive(x, m.BF16Bits, w.Bias, y, 1, w.Cols, w.Rows);
        else Q8.ForwardNaive(x, m.Q8Values, m.Q8Scales, w.Bias, y, 1, w.Cols, w.Rows);
        return y;
    }

    [Theory]
    [InlineData(Format.F32)]
    [InlineData(Format.BF16)]
    [InlineData(Format.Q8)]
    public void Three_projections_in_one_dispatch_match_each_alone(Format format)
    {
        const int c = 352;  // 5 steps of 64, one of 32 on the 512-bit path; 11 Q8 blocks (an odd one left over)
        var x = Random(c, 1);
        var (a, b, d) = (Operand(format, 201, c, 10, true), Operand(format, 34, c, 20, true), Operand(format, 35, c, 30, false));
        foreach (var width in KernelDispatch.Available)
            using (KernelDispatch.Override(width))
            {
                float[] ya = new float[201], yb = new float[34], yd = new float[35];
                FusedMatVec.ForThisThread.Store(x, a, ya, b, yb, d, yd);
                AssertClose(Naive(a, x), ya, 2e-5f * MathF.Sqrt(c));
                AssertClose(Naive(b, x), yb, 2e-5f * MathF.Sqrt(c));
                AssertClose(Naive(d, x), yd, 2e-5f * MathF.Sqrt(c));
            }
    }

    [Theory]
    [InlineData(Format.F32)]
    [InlineData(Format.BF16)]
    [InlineData(Format.Q8)]
    public void Residual_add_and_swiglu_match_the_unfused_steps(Format format)
    {
        const int c = 224, inter = 608;
        var x = Random(c, 2);
        var (gate, up, down) = (Operand(format, inter, c, 40, true), Operand(format, inter, c, 50, true), Operand(format, c, inter, 60, false));

        var act = new float[inter];
        FusedMatVec.ForThisThread.SwiGlu(x, gate, up, act);
        var expectedAct = Naive(gate, x);
        Activations.SiluMulNaive(expectedAct, Naive(up, x));
        AssertClose(expectedAct, act, 2e-5f * MathF.Sqrt(c));

        var residual = Random(c, 3);
        var expected = Naive(down, act);
        for (int i = 0; i < c; i++) expected[i] += residual[i];
        FusedMatVec.ForThisThread.AddTo(act, down, residual);
        AssertClose(expected, residual, 2e-5f * MathF.Sqrt(inter));
    }

    [Fact]
    public void Each_fused_product_is_one_dispatch()
    {
        using var pool = new WorkerPool(2);
        const int c = 256;
        var x = Random(c, 4);
        var (q, k, v) = (Operand(Format.BF16, 256, c, 70, true), Operand(Format.BF16, 64, c, 80, true), Operand(Format.BF16, 64, c, 90, true));
        FusedMatVec.ForThisThread.Store(x, q, new float[256], k, new float[64], v, new float[64], pool);
        Assert.Equal(1, pool.Dispatches);
        FusedMatVec.ForThisThread.SwiGlu(x, q, q, new float[256], pool);
        Assert.Equal(2, pool.Dispatches);
    }

    [Fact]
    public void Shapes_that_do_not_fit_are_rejected()
    {
        var w = Operand(Format.F32, 8, 16, 1, false);
        var ex = Assert.Throws<ArgumentException>(() => FusedMatVec.ForThisThread.Store(new float[15], w, new float[8]));
        Assert.Contains("x 15", ex.Message);
        Assert.Throws<ArgumentException>(() => FusedMatVec.ForThisThread.AddTo(new float[16], w, new float[7]));
    }
}
