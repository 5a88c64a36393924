// The decode matvecs' row kernels with software prefetch on (StreamPrefetch.Distance) give the same bits as with it off,
// on a share of rows that ends inside the matrix (the prefetch is clipped there) and one that ends at its end.
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;
using Xunit;
using static RagTune.Engine.Tests.Kernels.KernelAgreementTests;

namespace RagTune.Engine.Tests.Kernels;

public class StreamPrefetchTests
{
    [Theory]
    [InlineData(0, 37)]    // a share that ends before the last row
    [InlineData(11, 50)]   // a share that ends at the matrix's end
    public unsafe void Row_kernels_give_the_same_bits_with_prefetch_on_and_off(int o0, int o1)
    {
        const int rows = 50, n = 896;
        var x = Random(n, 21);
        var w = Random(rows * n, 22, 0.1f);
        var bits = new ushort[w.Length];
        ReducedPrecision.FloatToBF16(w, bits);
        var values = new sbyte[w.Length];
        var scales = new float[w.Length / Q8.BlockSize];
        Q8.Quantize(w, values, scales);
        var xp = new float[n];
        var (xv, xa, xn, xs) = (new sbyte[n], new sbyte[n], new sbyte[n], new float[n / Q8.BlockSize]);
        Q8.QuantizeRow(x, xv, xs);

        float[] Run(int distance)
        {
            var y = new float[3 * rows];
            int saved = StreamPrefetch.Distance;
            StreamPrefetch.Distance = distance;
            try
            {
                fixed (float* px = x, pw = w, pxp = xp, pxs = xs, ps = scales, py = y)
                fixed (ushort* pbits = bits)
                fixed (sbyte* pxv = xv, pxa = xa, pxn = xn, pv = values)
                {
                    MatVecBF16.PermuteInput(px, n, pxp);
                    Q8.SplitSigns(pxv, n, pxa, pxn);
                    MatMul.Rows(px, pw, null, n, o0, o1, py);
                    MatVecBF16.Rows(px, pxp, pbits, null, n, o0, o1, py + rows);
                    Q8.Rows(pxv, pxa, pxn, pxs, pv, ps, null, n, o0, o1, py + 2 * rows, KernelDispatch.Width == VectorWidth.Bits512);
                }
            }
            finally
            {
                StreamPrefetch.Distance = saved;
            }
            return y;
        }

        var off = Run(0);
        Assert.Contains(off, v => v != 0);
        Assert.Equal(off, Run(4096));
        Assert.Equal(off, Run(64));
    }
}
