// A LoRA adapter's update of one token's projection, y += Scale·B·(A·x), in two halves: Down makes u = Scale·A·x (Rank dot
// products over In, done once per token), AddRows adds B[o]·u to a range of output rows (each worker its own share): each
// output row adds B[o]·u, a dot product of Rank floats. For a rank that is a multiple of 8: one Vector256 FMA per 8 of
// Rank per row, four rows reduced together (per-row calls into TensorPrimitives cost more than the arithmetic at r = 8).
// B is [Out, Rank] row-major, as PEFT's lora_B.weight. AddRowsNaive is the oracle.
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RagTune.Engine.Kernels;

internal static class LowRank
{
    /// <summary>u [Rank] = Scale · A·x for one row x [In].</summary>
    public static void Down(LowRankTerm t, ReadOnlySpan<float> x, Span<float> u)
    {
        for (int j = 0; j < t.Rank; j++)
            u[j] = t.Scale * TensorPrimitives.Dot(t.A.AsSpan(j * t.In, t.In), x[..t.In]);
    }

    /// <summary>dst[o − o0] += B[o]·u for o in [o0, o1).</summary>
    public static unsafe void AddRows(LowRankTerm t, ReadOnlySpan<float> u, int o0, int o1, float* dst)
    {
        if ((uint)o0 > (uint)o1 || o1 > t.Out || u.Length < t.Rank)
            throw new ArgumentException($"LoRA rows [{o0}, {o1}) of {t.Out}, u {u.Length} for rank {t.Rank}");
        fixed (float* b = t.B, pu = u) AddRows(b, pu, t.Rank, o0, o1, dst);
    }

    /// <summary>dst[o − o0] += Σ_j B[o, j]·u[j] for o in [o0, o1).</summary>
    public static unsafe void AddRows(float* b, float* u, int rank, int o0, int o1, float* dst)
    {
        if (!Vector256.IsHardwareAccelerated || rank % 8 != 0)
        {
            AddRowsNaive(b, u, rank, o0, o1, dst);
            return;
        }
        int o = o0;
        if (Avx.IsSupported && Fma.IsSupported)
            for (; o + 4 <= o1; o += 4)
            {
                // Four rows at a time: their four dot products reduce together (three horizontal adds for four sums).
                float* r0 = b + (long)o * rank;
                Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0; j < rank; j += 8)
                {
                    var uj = Vector256.Load(u + j);
                    a0 = Fma.MultiplyAdd(Vector256.Load(r0 + j), uj, a0);
                    a1 = Fma.MultiplyAdd(Vector256.Load(r0 + rank + j), uj, a1);
                    a2 = Fma.MultiplyAdd(Vector256.Load(r0 + 2 * rank + j), uj, a2);
                    a3 = Fma.MultiplyAdd(Vector256.Load(r0 + 3 * rank + j), uj, a3);
                }
                // hadd(hadd(a0, a1), hadd(a2, a3)) = [s0 s1 s2 s3 | s0' s1' s2' s3'] (low and high halves of each sum)
                var h = Avx.HorizontalAdd(Avx.HorizontalAdd(a0, a1), Avx.HorizontalAdd(a2, a3));
                var sums = h.GetLower() + h.GetUpper();
                var d = dst + (o - o0);
                Vector128.Store(Vector128.Load(d) + sums, d);
            }
        for (; o < o1; o++)
        {
            float* row = b + (long)o * rank;
            var acc = Vector256<float>.Zero;
            for (int j = 0; j < rank; j += 8)
                acc = Fma.IsSupported
                    ? Fma.MultiplyAdd(Vector256.Load(row + j), Vector256.Load(u + j), acc)
                    : acc + Vector256.Load(row + j) * Vector256.Load(u + j);
            dst[o - o0] += Vector256.Sum(acc);
        }
    }

    public static unsafe void AddRowsNaive(float* b, float* u, int rank, int o0, int o1, float* dst)
    {
        for (int o = o0; o < o1; o++)
        {
            float sum = 0;
            for (int j = 0; j < rank; j++) sum += b[(long)o * rank + j] * u[j];
            dst[o - o0] += sum;
        }
    }
}
