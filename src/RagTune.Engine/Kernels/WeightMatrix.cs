// A weight matrix W [Rows, Cols] (row-major, as nn.Linear / nn.Embedding store it) in one of the formats the kernels
// read directly: float32, bfloat16 bits, Q8_0 int8 blocks with per-block scales, or GGUF's quantised blocks (Q4_0, Q4_1,
// Q5_0, Q5_1, Q4_K, Q5_K, Q6_K: matrix-vector products read them in place, the GEMM widens them a block of rows at a time). F32/BF16 data may point straight into
// the memory-mapped checkpoint, GGUF blocks into the mapped GGUF file (read-only, no copy); training that updates the
// weight asks for a private copy explicitly.
using System.Runtime.InteropServices;
using RagTune.Engine.Formats;
using RagTune.Engine.Tensors;

namespace RagTune.Engine.Kernels;

public sealed unsafe class WeightMatrix
{
    // Below this many x rows the matrix-vector kernels (bandwidth-bound, no packing) beat the 6-row GEMM tiles.
    private const int GemmMinRows = 4;

    private float[]? _f32;
    private readonly ushort[]? _bf16;
    private readonly sbyte[]? _q8Values;
    private readonly float[]? _q8Scales;
    private readonly byte[]? _blocks;

    // Mapped data: a pointer into a checkpoint or GGUF file that this matrix does not own (the model keeps the file open).
    private readonly void* _mapped;
    private readonly IMappedFile? _mappedFile;
    private readonly Lock _copyLock = new();

    public int Rows { get; }
    public int Cols { get; }

    /// <summary>F32, BF16, Q8 or a GGUF block format (never Checkpoint).</summary>
    public WeightFormat Format { get; }

    private WeightMatrix(int rows, int cols, WeightFormat format, float[]? f32, ushort[]? bf16, sbyte[]? values, float[]? scales,
        void* mapped = null, IMappedFile? mappedFile = null, byte[]? blocks = null)
    {
        (Rows, Cols, Format, _f32, _bf16, _q8Values, _q8Scales, _blocks) = (rows, cols, format, f32, bf16, values, scales, blocks);
        _mapped = mapped;
        _mappedFile = mappedFile;
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

    /// <summary>GGUF quantised blocks (<paramref name="type"/> one of <see cref="WeightFormats.FormatOf"/>'s), row after
    /// row, as stored in the file: Cols must be a whole number of the type's blocks.</summary>
    public static WeightMatrix FromGgml(GgmlType type, byte[] blocks, int rows, int cols)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var format = WeightFormats.FormatOf(type) ?? throw new ArgumentException($"ggml type {type} is not read in place (supported: Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
        GgmlTypes.TryGetLayout(type, out int weights, out _);
        if (cols % weights != 0 || blocks.LongLength != GgmlTypes.ByteCount(type, (long)rows * cols))
            throw new ArgumentException($"{type} weight {rows}x{cols}: needs cols divisible by {weights} and {(cols % weights == 0 ? GgmlTypes.ByteCount(type, (long)rows * cols) : 0)} bytes, got {blocks.LongLength}");
        return new WeightMatrix(rows, cols, format, null, null, null, null, blocks: blocks);
    }

    /// <summary>A view of a GGUF tensor's quantised blocks (a type <see cref="WeightFormats.FormatOf"/> maps) inside the
    /// mapped file: nothing is copied. The mapping must stay open while the matrix is used; a use after it is disposed
    /// throws <see cref="ObjectDisposedException"/>.</summary>
    public static WeightMatrix FromMapped(GgufMapping mapping, GgufTensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(info);
        var type = (GgmlType)info.GgmlType;
        if (info.Shape is not [var rows, var cols] || rows > int.MaxValue || cols > int.MaxValue)
            throw new EngineException($"{mapping.Path}: tensor '{info.Name}' has shape [{string.Join(", ", info.Shape)}], expected a 2-D matrix");
        var format = WeightFormats.FormatOf(type)
            ?? throw new EngineException($"{mapping.Path}: tensor '{info.Name}' is {type}, which is not read in place (supported: Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K)");
        byte* data = mapping.Pointer(info, out long bytes);
        if (bytes > int.MaxValue)
            throw new EngineException($"{mapping.Path}: tensor '{info.Name}' has {bytes} bytes, more than one matrix can hold");
        return new WeightMatrix((int)rows, (int)cols, format, null, null, null, null, data, mapping);
    }

    /// <summary>Q8_0 data as <see cref="Q8.Quantize"/> writes it: values [rows·cols], scales [rows·cols / 32].</summary>
    public static WeightMatrix FromQ8(sbyte[] values, float[] scales, int rows, int cols)
    {
        CheckLength(values.LongLength, rows, cols);
        if (cols % Q8.BlockSize != 0 || scales.LongLength != values.LongLength / Q8.BlockSize)
            throw new ArgumentException($"Q8 weight {rows}x{cols}: needs cols divisible by {Q8.BlockSize} and {values.LongLength / Q8.BlockSize} scales, got {scales.LongLength}");
        return new WeightMatrix(rows, cols, WeightFormat.Q8, null, null, values, scales);
    }

    /// <summary>A view of F32 or BF16 tensor data inside a memory-mapped safetensors file: nothing is copied. The file
    /// must stay open while the matrix is used; a use after it is disposed throws <see cref="ObjectDisposedException"/>.</summary>
    public static WeightMatrix FromMapped(SafeTensorFile file, TensorInfo info)
    {
        ArgumentNullException.ThrowIfNull(file);
        if (info.Shape.Length != 2)
            throw new EngineException($"{file.Path}: tensor '{info.Name}' has {info.Shape.Length} dimensions, expected a 2-D matrix");
        var format = info.DType switch
        {
            DType.F32 => WeightFormat.F32,
            DType.BF16 => WeightFormat.BF16,
            _ => throw new EngineException($"{file.Path}: tensor '{info.Name}' is {DTypes.Name(info.DType)}; only F32 and BF16 can be used in place"),
        };
        if (info.ElementCount > Array.MaxLength)
            throw new EngineException($"{file.Path}: tensor '{info.Name}' has {info.ElementCount} elements, more than one matrix can hold");
        return new WeightMatrix((int)info.Shape[0], (int)info.Shape[1], format, null, null, null, null, file.GetPointer(info.Name), file);
    }

    /// <summary>Converts float32 data to <paramref name="format"/> (F32 copies; Q8 needs Cols % 32 == 0, else F32; Q4_K
    /// needs Cols % 256 == 0, else Q4_0 when Cols % 32 == 0, else F32 — llama.cpp's Q4_K_M falls back to Q5_0 there,
    /// which the kernels do not read in place).</summary>
    public static WeightMatrix Convert(ReadOnlySpan<float> data, int rows, int cols, WeightFormat format)
    {
        CheckLength(data.Length, rows, cols);
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
            case WeightFormat.Q4_K when cols % Q8.BlockSize == 0:
                return Quantized(data, rows, cols, cols % GgmlTypes.SuperBlock == 0 ? GgmlType.Q4_K : GgmlType.Q4_0);
            default:
                return FromFloat32(data.ToArray(), rows, cols);
        }
    }

    /// <summary>Converts float32 data to <paramref name="format"/> (F32 keeps the array; Q8 needs Cols % 32 == 0).</summary>
    public static WeightMatrix Convert(float[] data, int rows, int cols, WeightFormat format) =>
        format is WeightFormat.BF16 or WeightFormat.Q8 or WeightFormat.Q4_K ? Convert(data.AsSpan(), rows, cols, format) : FromFloat32(data, rows, cols);

    /// <summary>Whether <see cref="Convert(ReadOnlySpan{float}, int, int, WeightFormat)"/> keeps a matrix of
    /// <paramref name="cols"/> columns in float32 when asked for <paramref name="format"/>.</summary>
    public static bool StaysFloat32(WeightFormat format, int cols) =>
        format is WeightFormat.Checkpoint or WeightFormat.F32 || (format is WeightFormat.Q8 or WeightFormat.Q4_K && cols % Q8.BlockSize != 0);

    // ggml's reference quantiser over a bounded chunk of rows at a time, so a large matrix (the embeddings) never needs
    // a second float copy beside the mapped checkpoint while it is converted.
    private static WeightMatrix Quantized(ReadOnlySpan<float> data, int rows, int cols, GgmlType type)
    {
        long rowBytes = GgmlTypes.ByteCount(type, cols);
        var blocks = new byte[rows * rowBytes];
        int chunkRows = Math.Max(1, (1 << 20) / cols);
        for (int r0 = 0; r0 < rows; r0 += chunkRows)
        {
            int n = Math.Min(chunkRows, rows - r0);
            var encoded = GgmlQuantizer.Quantize(type, data.Slice(r0 * cols, n * cols).ToArray(), cols);
            encoded.CopyTo(blocks, r0 * rowBytes);
        }
        return FromGgml(type, blocks, rows, cols);
    }

    public long ElementCount => (long)Rows * Cols;

    /// <summary>True while the data is read in place from the mapped checkpoint (no private copy yet).</summary>
    public bool IsMapped => _mappedFile is not null && _f32 is null;

    /// <summary>The float32 values, row-major, read-only (mapped or private). Only F32 matrices have them. A mapped span is
    /// valid while this matrix (or its model) is reachable and not disposed.</summary>
    public ReadOnlySpan<float> Float32 => Format == WeightFormat.F32 ? F32Span : throw NotFloat32("reading it as float32");

    /// <summary>The writable float32 array that full fine-tuning and adapter merging update in place: on first use a mapped
    /// matrix copies its data into a private array (copy-on-write), so frozen-base training never pays for the copy.</summary>
    public float[] WritableFloat32()
    {
        if (_f32 is { } owned) return owned;
        if (Format != WeightFormat.F32) throw NotFloat32("training or merging into it");
        lock (_copyLock)
            return _f32 ??= F32Span.ToArray();
    }

    /// <summary>The bf16 bits, row-major (BF16 matrices only; mapped or private).</summary>
    internal ReadOnlySpan<ushort> BF16Bits => Format == WeightFormat.BF16 ? BF16Span : throw WrongFormat(WeightFormat.BF16);

    /// <summary>The Q8_0 values, row-major, and one scale per block of 32 (Q8 matrices only).</summary>
    internal ReadOnlySpan<sbyte> Q8Values => _q8Values ?? throw WrongFormat(WeightFormat.Q8);

    internal ReadOnlySpan<float> Q8Scales => _q8Scales ?? throw WrongFormat(WeightFormat.Q8);

    /// <summary>The GGUF blocks, row after row (GGUF block formats only).</summary>
    internal ReadOnlySpan<byte> GgmlBlocks
    {
        get
        {
            if (_blocks is { } owned) return owned;
            var type = GgmlType;
            ThrowIfUnmapped();
            return new ReadOnlySpan<byte>(_mapped, (int)GgmlTypes.ByteCount(type, ElementCount));
        }
    }

    /// <summary>The ggml type of <see cref="GgmlBlocks"/>.</summary>
    internal GgmlType GgmlType => WeightFormats.GgmlTypeOf(Format)
        ?? throw new EngineException($"this {Rows}x{Cols} weight is held as {Format}, not as GGUF blocks");

    /// <summary>The private float32 array if <see cref="WritableFloat32"/> made one (or the matrix was built from one), else null.</summary>
    public float[]? OwnedFloat32 => _f32;

    /// <summary>Bytes held in memory (mapped data counts: its pages are resident once read).</summary>
    public long ByteCount => Format switch
    {
        WeightFormat.BF16 => ElementCount * 2,
        WeightFormat.Q8 => ElementCount + ElementCount / Q8.BlockSize * 4,
        _ when WeightFormats.GgmlTypeOf(Format) is { } type => GgmlTypes.ByteCount(type, ElementCount),
        _ => ElementCount * 4,
    };

    private ReadOnlySpan<float> F32Span
    {
        get
        {
            if (_f32 is { } owned) return owned;
            ThrowIfUnmapped();
            return new ReadOnlySpan<float>(_mapped, (int)ElementCount);
        }
    }

    private ReadOnlySpan<ushort> BF16Span
    {
        get
        {
            if (_bf16 is { } owned) return owned;
            ThrowIfUnmapped();
            return new ReadOnlySpan<ushort>(_mapped, (int)ElementCount);
        }
    }

    private void ThrowIfUnmapped()
    {
        if (_mappedFile is null || _mappedFile.IsDisposed)
            throw new ObjectDisposedException(_mappedFile?.Path ?? nameof(WeightMatrix),
                $"this {Rows}x{Cols} weight is read in place from {_mappedFile?.Path}, which has been closed (the model owning it was disposed)");
    }

    /// <summary>y [tokens, Rows] = x [tokens, Cols] · Wᵀ + bias, on the shared worker pool. <paramref name="alwaysGemm"/>
    /// keeps a few rows on the GEMM too (training: it widens W exactly, where the q8 matrix-vector kernel also rounds x to
    /// int8, and its backward is the same product transposed).</summary>
    public void Multiply(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int tokens, bool alwaysGemm = false)
    {
        bool gemm = alwaysGemm || tokens >= GemmMinRows;
        switch (Format)
        {
            case WeightFormat.BF16 when gemm:
                Gemm.MultiplyTransB(x, Cols, BF16Span, Cols, y, Rows, tokens, Rows, Cols, bias: bias);
                break;
            case WeightFormat.BF16:
                MatVecBF16.Forward(x, BF16Span, bias, y, tokens, Cols, Rows);
                break;
            case var f when WeightFormats.IsGgmlBlocks(f) && gemm:
                // Prefill and training: the blocks are widened to float32 a tile at a time inside the GEMM packing.
                MultiplyWidened(x, bias, y, tokens);
                break;
            case var f when WeightFormats.IsGgmlBlocks(f):
                GgmlMatVec.Forward(GgmlType, x, GgmlBlocks, bias, y, tokens, Cols, Rows);
                break;
            case WeightFormat.Q8 when alwaysGemm:
                // Training: W widened exactly and x kept float32 (the prefill GEMM rounds x to int8), so the backward,
                // which widens W the same way, is this product's exact transpose.
                MultiplyWidened(x, bias, y, tokens);
                break;
            case WeightFormat.Q8 when gemm:
                Gemm.MultiplyTransB(x, Cols, _q8Values, _q8Scales, y, Rows, tokens, Rows, Cols, bias: bias);
                break;
            case WeightFormat.Q8:
                Q8.Forward(x, _q8Values, _q8Scales, bias, y, tokens, Cols, Rows);
                break;
            default:
                if (gemm) Gemm.MultiplyTransB(x, Cols, F32Span, Cols, y, Rows, tokens, Rows, Cols, bias: bias);
                else MatMul.ForwardParallel(x, F32Span, bias, y, tokens, Cols, Rows);
                break;
        }
        GC.KeepAlive(_mappedFile);   // the file unmaps when collected: not before the kernel has read it
    }

    /// <summary>dx [tokens, Cols] += dy [tokens, Rows] · W — the input gradient of <see cref="Multiply"/>. A bf16, q8 or
    /// GGUF-block W is widened to float32 a tile at a time inside the GEMM's packing: no float copy of W is made.</summary>
    public void MultiplyTransposedAccumulate(ReadOnlySpan<float> dy, Span<float> dx, int tokens)
    {
        if (Format == WeightFormat.F32)
            Gemm.Multiply(dy, Rows, F32Span, Cols, dx, Cols, tokens, Cols, Rows, accumulate: true);
        else
            fixed (ushort* bf16 = Format == WeightFormat.BF16 ? BF16Span : default)
            fixed (sbyte* q8 = _q8Values)
            fixed (float* scales = _q8Scales)
            fixed (byte* blocks = WeightFormats.IsGgmlBlocks(Format) ? GgmlBlocks : default)
                Gemm.Multiply(dy, Rows, Widened(bf16, q8, scales, blocks), dx, Cols, tokens, Cols, Rows, accumulate: true);
        GC.KeepAlive(_mappedFile);
    }

    // y = x · Wᵀ + bias with W widened to float32 a tile at a time inside the GEMM's packing.
    private void MultiplyWidened(ReadOnlySpan<float> x, ReadOnlySpan<float> bias, Span<float> y, int tokens)
    {
        fixed (ushort* bf16 = Format == WeightFormat.BF16 ? BF16Span : default)
        fixed (sbyte* q8 = _q8Values)
        fixed (float* scales = _q8Scales)
        fixed (byte* blocks = WeightFormats.IsGgmlBlocks(Format) ? GgmlBlocks : default)
            Gemm.MultiplyTransB(x, Cols, Widened(bf16, q8, scales, blocks), y, Rows, tokens, Rows, Cols, bias: bias);
    }

    private WidenedRows Widened(ushort* bf16, sbyte* q8, float* scales, byte* blocks) => Format switch
    {
        WeightFormat.BF16 => WidenedRows.BF16(bf16, Cols),
        WeightFormat.Q8 => WidenedRows.Q8(q8, scales, Cols),
        _ => WidenedRows.Ggml(GgmlType, blocks, Cols),
    };

    /// <summary>Row <paramref name="row"/> as float32 (an embedding lookup).</summary>
    public void ReadRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"row must be below {Rows}");
        int start = row * Cols;
        switch (Format)
        {
            case WeightFormat.BF16:
                ReducedPrecision.BF16ToFloat(BF16Span.Slice(start, Cols), destination[..Cols]);
                break;
            case WeightFormat.Q8:
                Q8.Dequantize(_q8Values.AsSpan(start, Cols), _q8Scales.AsSpan(start / Q8.BlockSize, Cols / Q8.BlockSize), destination[..Cols]);
                break;
            case var f when WeightFormats.IsGgmlBlocks(f):
                long rowBytes = GgmlTypes.ByteCount(GgmlType, Cols);
                GgmlQuants.Dequantize(GgmlType, GgmlBlocks.Slice((int)(row * rowBytes), (int)rowBytes), destination[..Cols]);
                break;
            default:
                F32Span.Slice(start, Cols).CopyTo(destination);
                break;
        }
        GC.KeepAlive(_mappedFile);
    }

    /// <summary>The whole matrix as a new float32 array (always a copy; the matrix is never changed through it).</summary>
    public float[] ToFloat32()
    {
        if (Format == WeightFormat.F32)
        {
            var copy = F32Span.ToArray();
            GC.KeepAlive(_mappedFile);
            return copy;
        }
        var all = new float[ElementCount];
        for (int r = 0; r < Rows; r++) ReadRow(r, all.AsSpan(r * Cols, Cols));
        return all;
    }

    private EngineException NotFloat32(string what) => new(
        $"this {Rows}x{Cols} weight is held as {Format}; {what} needs float32 weights (load the model without --dtype bf16 / --quantize q8)");

    private EngineException WrongFormat(WeightFormat expected) => new($"this {Rows}x{Cols} weight is held as {Format}, not {expected}");

    private static void CheckLength(long length, int rows, int cols)
    {
        if (length != (long)rows * cols)
            throw new ArgumentException($"weight matrix has {length} values, expected {rows}x{cols}");
    }
}
