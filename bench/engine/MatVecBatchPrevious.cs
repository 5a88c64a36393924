// The few-rows kernel as it was before the register-blocked tiles (4 rows per pass, one weight row at a time), kept
// so that `rows` measures the two side by side in interleaved rounds. Not used by the engine.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RagTune.Engine.Kernels;
using RagTune.Engine.Threading;

namespace RagTune.Bench.Engine;

internal static unsafe class MatVecBatchPrevious
{
    /// <summary>y [rows, Out] = x [rows, In] · Wᵀ (no bias; shapes as the engine's kernel checks them) with W float32
    /// (<paramref name="wb"/> null) or bf16 bits.</summary>
    public static void Forward(float[] x, ReadOnlySpan<float> wf, ReadOnlySpan<ushort> wb, float[] y, int rows, int inDim, int outDim)
    {
        fixed (float* px = x, pwf = wf, py = y)
        fixed (ushort* pwb = wb)
        {
            var job = Job.ForThisThread;
            job.X = px; job.WF = wf.IsEmpty ? null : pwf; job.WB = wb.IsEmpty ? null : pwb; job.Bias = null; job.Y = py;
            (job.Rows, job.In, job.Out) = (rows, inDim, outDim);
            job.Wide = KernelDispatch.Width == VectorWidth.Bits512;
            WorkerPool.Shared.Run(job);
        }
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        public static Job ForThisThread => _forThisThread ??= new Job();
        public float* X, WF, Bias, Y;
        public ushort* WB;
        public int Rows, In, Out;
        public bool Wide;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts);
            float* sums = stackalloc float[4];
            for (int o = o0; o < o1; o++)
            {
                float b = Bias != null ? Bias[o] : 0f;
                for (int r0 = 0; r0 < Rows; r0 += 4)
                {
                    int n = Math.Min(4, Rows - r0);
                    // Rows past the last alias it (their sums are dropped): one kernel shape for 2–4 rows.
                    float* x0 = X + (long)r0 * In, x1 = n > 1 ? x0 + In : x0, x2 = n > 2 ? x0 + 2L * In : x0, x3 = n > 3 ? x0 + 3L * In : x0;
                    if (Wide) Dot4x512(x0, x1, x2, x3, WF, WB, (long)o * In, In, sums);
                    else Dot4x256(x0, x1, x2, x3, WF, WB, (long)o * In, In, sums);
                    for (int j = 0; j < n; j++) Y[(long)(r0 + j) * Out + o] = sums[j] + b;
                }
            }
        }
    }

    /// <summary>sums[j] = W[row]·x_j for the four x rows, W's row starting at element <paramref name="row"/>.</summary>
    private static void Dot4x512(float* x0, float* x1, float* x2, float* x3, float* wf, ushort* wb, long row, int n, float* sums)
    {
        Vector512<float> a0 = Vector512<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 16 <= n; i += 16)
        {
            var w = MatVecBatch.Load512(wf, wb, row + i);
            a0 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x0 + i), a0);
            a1 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x1 + i), a1);
            a2 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x2 + i), a2);
            a3 = Vector512.FusedMultiplyAdd(w, Vector512.Load(x3 + i), a3);
        }
        (sums[0], sums[1], sums[2], sums[3]) = (Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3));
        Tail(x0, x1, x2, x3, wf, wb, row, i, n, sums);
    }

    private static void Dot4x256(float* x0, float* x1, float* x2, float* x3, float* wf, ushort* wb, long row, int n, float* sums)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var w = MatVecBatch.Load256(wf, wb, row + i);
            a0 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x0 + i), a0);
            a1 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x1 + i), a1);
            a2 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x2 + i), a2);
            a3 = Vector256.FusedMultiplyAdd(w, Vector256.Load(x3 + i), a3);
        }
        (sums[0], sums[1], sums[2], sums[3]) = (Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3));
        Tail(x0, x1, x2, x3, wf, wb, row, i, n, sums);
    }

    private static void Tail(float* x0, float* x1, float* x2, float* x3, float* wf, ushort* wb, long row, int i, int n, float* sums)
    {
        for (; i < n; i++)
        {
            float w = MatVecBatch.Weight(wf, wb, row + i);
            sums[0] += w * x0[i];
            sums[1] += w * x1[i];
            sums[2] += w * x2[i];
            sums[3] += w * x3[i];
        }
    }
}
