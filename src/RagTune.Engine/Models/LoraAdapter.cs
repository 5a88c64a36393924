// One LoRA adapter on one Linear (PEFT's LoraLayer): y = W·x + b + scale·B·(A·x), scale = alpha/r (alpha/√r with rsLoRA).
// A [r, In] starts Kaiming-uniform (a = √5, bound 1/√In), B [Out, r] starts at zero, so a fresh adapter changes nothing.
using System.Numerics.Tensors;
using RagTune.Engine.Kernels;

namespace RagTune.Engine.Models;

public sealed class LoraAdapter
{
    public int Rank { get; }
    public int InFeatures { get; }
    public int OutFeatures { get; }
    public float Scale { get; }

    /// <summary>Dropout probability on the adapter's input while training (PEFT's lora_dropout); inference ignores it.</summary>
    public float Dropout { get; }

    /// <summary>[Rank, InFeatures] (lora_A.weight).</summary>
    public float[] A { get; }

    /// <summary>[OutFeatures, Rank] (lora_B.weight).</summary>
    public float[] B { get; }

    public LoraAdapter(int inFeatures, int outFeatures, int rank, float alpha, bool useRsLora, float dropout, float[] a, float[] b)
    {
        if (rank <= 0) throw new ArgumentOutOfRangeException(nameof(rank), rank, "LoRA rank must be positive");
        if (a.Length != rank * inFeatures) throw new ArgumentException($"lora_A has {a.Length} values, expected {rank}x{inFeatures}");
        if (b.Length != outFeatures * rank) throw new ArgumentException($"lora_B has {b.Length} values, expected {outFeatures}x{rank}");
        if (dropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "dropout must be in [0, 1)");
        Rank = rank;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Scale = useRsLora ? alpha / MathF.Sqrt(rank) : alpha / rank;
        Dropout = dropout;
        A = a;
        B = b;
        Term = new LowRankTerm(A, B, Rank, InFeatures, OutFeatures, Scale);
    }

    private LoraAdapter(LoraAdapter source, float scale)
    {
        (Rank, InFeatures, OutFeatures, Dropout, A, B) = (source.Rank, source.InFeatures, source.OutFeatures, source.Dropout, source.A, source.B);
        Scale = scale;
        Term = new LowRankTerm(A, B, Rank, InFeatures, OutFeatures, Scale);
    }

    /// <summary>The matrices and scale as the decode kernels read them (the same A and B arrays).</summary>
    internal LowRankTerm Term { get; }

    /// <summary>This adapter with its scale multiplied by <paramref name="factor"/>; A and B are shared.</summary>
    public LoraAdapter Scaled(float factor) => new(this, Scale * factor);

    /// <summary>A fresh adapter as PEFT initialises it: A ~ U(−1/√In, 1/√In) (kaiming_uniform_ with a = √5), B = 0.</summary>
    public static LoraAdapter CreateInitialized(int inFeatures, int outFeatures, int rank, float alpha, bool useRsLora, float dropout,
        Random random)
    {
        var a = new float[rank * inFeatures];
        float bound = 1f / MathF.Sqrt(inFeatures);
        for (int i = 0; i < a.Length; i++)
            a[i] = (float)((random.NextDouble() * 2 - 1) * bound);
        return new LoraAdapter(inFeatures, outFeatures, rank, alpha, useRsLora, dropout, a, new float[outFeatures * rank]);
    }

    /// <summary>y [rows, Out] += scale · (x [rows, In] · Aᵀ) · Bᵀ — the unmerged inference path, a row at a time through
    /// the same kernels (LowRank.Down, LowRank.AddRows) as the fused decode path, so both give the same bits.</summary>
    public unsafe void AddTo(ReadOnlySpan<float> x, Span<float> y, int rows)
    {
        if (x.Length < (long)rows * InFeatures || y.Length < (long)rows * OutFeatures)
            throw new ArgumentException($"LoRA update: x {x.Length} and y {y.Length} floats for {rows} rows of {InFeatures} → {OutFeatures}");
        Span<float> u = Rank <= 256 ? stackalloc float[Rank] : new float[Rank];
        for (int t = 0; t < rows; t++)
        {
            LowRank.Down(Term, x.Slice(t * InFeatures, InFeatures), u);
            fixed (float* row = y.Slice(t * OutFeatures, OutFeatures)) LowRank.AddRows(Term, u, 0, OutFeatures, row);
        }
    }

    /// <summary>W [Out, In] += scale · B · A: folds the adapter into a base weight (merge).</summary>
    public void MergeInto(Span<float> weight)
    {
        if (weight.Length != OutFeatures * InFeatures)
            throw new ArgumentException($"weight has {weight.Length} values, expected {OutFeatures}x{InFeatures}");
        for (int o = 0; o < OutFeatures; o++)
        {
            var row = weight.Slice(o * InFeatures, InFeatures);
            for (int j = 0; j < Rank; j++)
                TensorPrimitives.MultiplyAdd(A.AsSpan(j * InFeatures, InFeatures), Scale * B[o * Rank + j], row, row);
        }
    }

    public long ParameterCount => A.LongLength + B.LongLength;
}
