// The activation row of a fused decode dispatch, prepared once on the dispatching thread in every form the operands
// need: float32, float32 permuted for the bf16 unpack kernel, Q8-quantised (with per-block sums, and split into |x| and a
// negative mask for the Q8 kernel). Pinned buffers, grown on first use only.
namespace RagTune.Engine.Kernels;

internal sealed unsafe class MatVecInput
{
    private float[] _x = [], _permuted = [], _q8Scales = [], _q8Sums = [];
    private sbyte[] _q8Values = [], _q8Abs = [], _q8Negative = [];

    public int Length { get; private set; }
    public float* Float32 { get; private set; }
    public float* Permuted { get; private set; }
    public sbyte* Q8Values { get; private set; }
    public float* Q8Scales { get; private set; }

    /// <summary>|x| and −1 where x &lt; 0 (else 0) of the quantised row (<see cref="Q8.SplitSigns"/>); made on the
    /// 512-bit path only, the one whose Q8 row reads them.</summary>
    public sbyte* Q8Abs { get; private set; }
    public sbyte* Q8Negative { get; private set; }

    /// <summary>Σx of each 32-block of the quantised row (the GGUF K-quant kernels' min terms).</summary>
    public float* Q8Sums { get; private set; }

    /// <summary>The vector width the dispatching thread runs at (KernelDispatch.Width there): the workers' kernels follow it.</summary>
    public VectorWidth Width { get; private set; }

    /// <summary>Copies x and makes the forms that the operands' formats read: permuted for <paramref name="bf16"/>,
    /// int8 (with |x| and the negative mask on the 512-bit path) for <paramref name="q8"/> (our Q8), int8 with per-block sums for
    /// <paramref name="ggml"/> (GGUF blocks).</summary>
    public void Prepare(ReadOnlySpan<float> x, bool bf16, bool q8, bool ggml)
    {
        Width = KernelDispatch.Width;
        if (_x.Length < x.Length)
        {
            _x = GC.AllocateArray<float>(x.Length, pinned: true);
            _permuted = GC.AllocateArray<float>(x.Length, pinned: true);
            _q8Values = GC.AllocateArray<sbyte>(x.Length, pinned: true);
            _q8Abs = GC.AllocateArray<sbyte>(x.Length, pinned: true);
            _q8Negative = GC.AllocateArray<sbyte>(x.Length, pinned: true);
            _q8Scales = GC.AllocateArray<float>((x.Length + Q8.BlockSize - 1) / Q8.BlockSize, pinned: true);
            _q8Sums = GC.AllocateArray<float>(_q8Scales.Length, pinned: true);
            // Pinned arrays never move: their addresses stay valid for the life of this object.
            fixed (float* p = _x) Float32 = p;
            fixed (float* p = _permuted) Permuted = p;
            fixed (sbyte* p = _q8Values) Q8Values = p;
            fixed (sbyte* p = _q8Abs) Q8Abs = p;
            fixed (sbyte* p = _q8Negative) Q8Negative = p;
            fixed (float* p = _q8Scales) Q8Scales = p;
            fixed (float* p = _q8Sums) Q8Sums = p;
        }
        Length = x.Length;
        x.CopyTo(_x);
        if (bf16) MatVecBF16.PermuteInput(Float32, x.Length, Permuted);
        if (q8 || ggml) Q8.QuantizeRow(x, _q8Values, _q8Scales);
        if (q8 && Width == VectorWidth.Bits512) Q8.SplitSigns(Q8Values, x.Length, Q8Abs, Q8Negative);  // only the 512-bit row reads it
        if (ggml) GgmlMatVec.BlockSums(Q8Values, Q8Scales, x.Length, Q8Sums);
    }
}
