// The outer loop both GEMMs share (Gemm.cs for float32 / bf16, GemmQ8.cs for int8): M cut into passes of equal size,
// each run as two pool dispatches, pack this pass's rows of A once (shared by every worker), then the product.
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

internal abstract class GemmPasses : IParallelWork
{
    /// <summary>True during the first dispatch of a pass (packing A), false during the second (the product).</summary>
    protected bool Packing;

    /// <summary>Parts per thread of the product dispatch, set by <see cref="BeginPass"/>; 0 leaves the pool's default.</summary>
    protected int ProductPartsPerWorker;

    /// <summary>Splits <paramref name="total"/> into equal blocks of at most <paramref name="max"/>, each a multiple of
    /// <paramref name="multiple"/> (max must be one): 896 → 4 × 224 rather than 3 × 256 + 128, since a shallow last block
    /// pays the same per-tile costs for little work.</summary>
    public static int BlockSize(int total, int max, int multiple)
    {
        int blocks = Math.Max(1, (total + max - 1) / max);
        return ((total + blocks - 1) / blocks + multiple - 1) / multiple * multiple;
    }

    /// <summary>Runs the passes over rows [0, m), <paramref name="rowsPerPass"/> at a time; below ~1 MFLOP
    /// (<paramref name="parallel"/> false) on the calling thread, since a dispatch would cost more than it saves.</summary>
    public void Run(int m, int rowsPerPass, bool parallel, WorkerPool pool)
    {
        for (int i0 = 0; i0 < m; i0 += rowsPerPass)
        {
            BeginPass(i0, Math.Min(rowsPerPass, m - i0));
            Packing = true;
            if (parallel) pool.Run(this); else Execute(0, 1);
            Packing = false;
            if (!parallel) Execute(0, 1);
            else if (ProductPartsPerWorker > 0) pool.Run(this, ProductPartsPerWorker);
            else pool.Run(this);
        }
    }

    /// <summary>Points the job at rows [i0, i0 + rows) of A and C.</summary>
    protected abstract void BeginPass(int i0, int rows);

    public void Execute(int part, int parts)
    {
        if (Packing) PackA(part, parts);
        else Multiply(part, parts);
    }

    protected abstract void PackA(int part, int parts);

    protected abstract void Multiply(int part, int parts);
}
