// A frozen weight W [Rows, Cols] held in a reduced-precision format (bf16 bits, Q8 values + scales, or GGUF blocks) as
// the GEMM's packing reads it: a segment of one row widened to float32 at a time, so training's X·Wᵀ and dY·W over a
// bf16 / q8 / 4-bit base never make a float copy of W (QLoRA on the CPU). Segments start and end on block boundaries.
using RagTune.Engine.Formats;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Kernels;

internal readonly unsafe struct WidenedRows
{
    private readonly WeightFormat _format;
    private readonly GgmlType _type;
    private readonly void* _data;       // bf16 bits, Q8 values or GGUF blocks; pinned by the caller for the GEMM's duration
    private readonly float* _scales;    // Q8 only
    private readonly long _rowBytes;    // GGUF only
    private readonly int _blockBytes;   // GGUF only

    public int Cols { get; }

    /// <summary>Weights per block: a segment's start and length are multiples of it (1 for bf16).</summary>
    public int BlockWeights { get; }

    public bool IsSet => _data != null;

    private WidenedRows(WeightFormat format, GgmlType type, void* data, float* scales, int cols, int blockWeights, int blockBytes)
    {
        _data = data;
        _scales = scales;
        (_format, _type, Cols, BlockWeights, _blockBytes) = (format, type, cols, blockWeights, blockBytes);
        _rowBytes = (long)cols / blockWeights * blockBytes;
    }

    public static WidenedRows BF16(ushort* bits, int cols) => new(WeightFormat.BF16, default, bits, null, cols, 1, 2);

    public static WidenedRows Q8(sbyte* values, float* scales, int cols) =>
        new(WeightFormat.Q8, default, values, scales, cols, Kernels.Q8.BlockSize, Kernels.Q8.BlockSize);

    public static WidenedRows Ggml(GgmlType type, byte* blocks, int cols)
    {
        GgmlTypes.TryGetLayout(type, out int weights, out int bytes);
        return new(WeightFormat.Q4_K, type, blocks, null, cols, weights, bytes);
    }

    /// <summary>dst[0..count) = W[row, col0..col0 + count) as float32; col0 and count whole blocks (or reaching Cols).</summary>
    public void Widen(int row, int col0, int count, float* dst)
    {
        var destination = new Span<float>(dst, count);
        switch (_format)
        {
            case WeightFormat.BF16:
                ReducedPrecision.BF16ToFloat(new ReadOnlySpan<ushort>((ushort*)_data + (long)row * Cols + col0, count), destination);
                break;
            case WeightFormat.Q8:
                long start = (long)row * Cols + col0;
                Kernels.Q8.Dequantize(new ReadOnlySpan<sbyte>((sbyte*)_data + start, count),
                    new ReadOnlySpan<float>(_scales + start / BlockWeights, count / BlockWeights), destination);
                break;
            default:
                byte* blocks = (byte*)_data + row * _rowBytes + (long)col0 / BlockWeights * _blockBytes;
                GgmlQuants.Dequantize(_type, new ReadOnlySpan<byte>(blocks, count / BlockWeights * _blockBytes), destination);
                break;
        }
    }
}
