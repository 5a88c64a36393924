// A weight matrix W [Rows, Cols] (row-major, as nn.Linear / nn.Embedding store it) in one of the formats the kernels
// read directly: float32, bfloat16 bits, or Q8_0 int8 blocks with per-block scales. Products y = x·Wᵀ dispatch to the
// decode (matrix-vector) or prefill (GEMM) kernel; rows can be read back as float32 (embedding lookup).
using RagTune.Engine.Kernels;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Models;

public sealed class WeightMatrix
{
    // Below this many x rows the matrix-vector kernels (bandwidth-bound, no packing) beat the 6-row GEMM tiles.
    private const int GemmMinRows = 4;

    private readonly float[]? _f32;
    private readonly ushort[]? _bf16;
    private readonly sbyte[]? _q8Values;
    private readonly float[]? _q8Scales;

    public int Rows { get; }
    public int Cols { get; }

    /// <summary>F32, BF16 or Q8 (never Checkpoint).</summary>
    public WeightFormat Format { get; }

    private WeightMatrix(int rows, int cols, WeightFormat format, float[]? f32, ushort[]? bf16, sbyte[]? values, float[]? scales)
    {
        (Rows, Cols, Format, _f32, _bf16, _q8Values, _q8Scales) = (rows, cols, format, f32, bf16, values, scales);
    }

    public static WeightMatrix FromFloat32(float[] data, int rows, int cols)
    {
        CheckLength(data.LongLength, rows, cols);
        return new WeightMatrix(rows, cols, WeightFormat.F32, data, null, null, null);
    }

    public static WeightMatrix FromBF16(ushort[] bits, int rows, int cols)
    {
        CheckLength(bits.LongLength, rows, cols);
        return new WeightMatrix(rows, cols, WeightFormat.BF16, null, bits, null, null);
    }

    /// <summary>Converts float32 data to <paramref name="format"/> (F32 keeps the array; Q8 needs Cols % 32 == 0).</summary>
    public static WeightMatrix Convert(float[] data, int rows, int cols, WeightFormat format)
    {
        CheckLength(data.LongLength, rows, cols);
        switch (format)
        {
            case WeightFormat.BF16:
                var bits = new ushort[data.Length];
                ReducedPrecision.FloatToBF16(data, bits);
                return FromBF16(bits, rows, cols);
            case WeightFormat.Q8 when cols % Q8.BlockSize == 0:
                var values = new sbyte[data.Length];
                var scales = new float[data.Length / Q8.BlockSize];
                Q8.Quantize(data, values, scales);
                return new WeightMatrix(rows, cols, WeightFormat.Q8, null, null, values, scales);
            default:
                return FromFloat32(data, rows, cols);
        }
    }

    public long ElementCount => (long)Rows * Cols;

    /// <summary>The float32 data itself, row-major: training and adapter merging read and update it in place. Only F32
    /// matrices have it; a model loaded as bf16 or q8 cannot be trained or merged into.</summary>
    public float[] Float32 => _f32 ?? throw new EngineException(
        $"this {Rows}x{Cols} weight is held as {Format}; training and adapter merging need float32 weights (load the model without --dtype bf16 / --quantize q8)");

    /// <summary>Bytes held in memory.</summary>
    public long ByteCount => Format switch
    {
        WeightFormat.BF16 => ElementCount * 2,
        WeightFormat.Q8 => ElementCount + ElementCount / Q8.BlockSize * 4,
        _ => ElementCount * 4,
    };

    /// <summary>y [tokens, Rows] = x [tokens, Cols] · Wᵀ + bias, on the shared worker pool.</summary>
    public void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int tokens)
    {
        bool gemm = tokens >= GemmMinRows;
        switch (Format)
        {
            case WeightFormat.BF16 when gemm:
                Gemm.MultiplyTransB(x, Cols, _bf16, Cols, y, Rows, tokens, Rows, Cols, bias: bias);
                break;
            case WeightFormat.BF16:
                MatVecBF16.Forward(x, _bf16, bias, y, tokens, Cols, Rows);
                break;
            case WeightFormat.Q8 when gemm:
                Gemm.MultiplyTransB(x, Cols, _q8Values, _q8Scales, y, Rows, tokens, Rows, Cols, bias: bias);
                break;
            case WeightFormat.Q8:
                Q8.Forward(x, _q8Values, _q8Scales, bias, y, tokens, Cols, Rows);
                break;
            default:
                if (gemm) Gemm.MultiplyTransB(x, Cols, _f32, Cols, y, Rows, tokens, Rows, Cols, bias: bias);
                else MatMul.ForwardParallel(x, _f32, bias, y, tokens, Cols, Rows);
                break;
        }
    }

    /// <summary>Row <paramref name="row"/> as float32 (an embedding lookup).</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be below {Rows}");
        long start = (long)row * Cols;
        switch (Format)
        {
            case WeightFormat.BF16:
                ReducedPrecision.BF16ToFloat(_bf16.AsSpan((int)start, Cols), destination[..Cols]);
                break;
            case WeightFormat.Q8:
                Q8.Dequantize(_q8Values.AsSpan((int)start, Cols), _q8Scales.AsSpan((int)(start / Q8.BlockSize), Cols / Q8.BlockSize), destination[..Cols]);
                break;
            default:
                _f32.AsSpan((int)start, Cols).CopyTo(destination);
                break;
        }
    }

    /// <summary>The whole matrix as float32 (a copy unless the format is F32).</summary>
    public float[] ToFloat32()
    {
        if (_f32 is not null) return _f32;
        var all = new float[ElementCount];
        for (int r = 0; r < Rows; r++) ReadRow(r, all.AsSpan(r * Cols, Cols));
        return all;
    }

    private static void CheckLength(long length, int rows, int cols)
    {
        if (length != (long)rows * cols)
            throw new ArgumentException($"weight matrix has {length} values, expected {rows}x{cols}");
    }
}
