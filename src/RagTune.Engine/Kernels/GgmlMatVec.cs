// Decode matrix-vector products straight from GGUF's quantised blocks (Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K): the
// activation row is quantised to int8 in blocks of 32 (as for our Q8 path, Q8.QuantizeRow), each 32-weight slice of a row
// is unpacked to bytes in registers and multiplied as int8, then scaled by the weight's and x's block scales. Only the
// packed blocks stream from memory (4.5–6.6 bits a weight), which is what bounds decoding.
// Weights of the form d·q + m with unsigned q give d·Σq·x + m·Σx: the Σx of every 32-block of x comes precomputed
// (xsum). That covers Q4_K/Q5_K (m = −dmin·min), Q4_1/Q5_1 (a stored m) and Q4_0/Q5_0 (m = −8d / −16d, so no sign
// trick); Q6_K's per-16 scales do not line up with the 32-blocks of Σx, so it uses Q8's sign trick (|x| · sign(w, x)).
// Two int8 dot sequences: AVX2's vpmaddubsw + vpmaddwd, and where the 512-bit paths are chosen (KernelDispatch; the CPU
// has AVX-VNNI) one vpdpbusd (GemmQ8's IDot). Half scales are read through a 65536-entry table (no F16C in .NET).
// ForwardNaive (dequantise the row, then a double-precision dot with the same int8 x) is the oracle.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Formats;
using RagTune.Engine.Tensors;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class GgmlMatVec
{
    /// <summary>The quantised types these kernels read in place.</summary>
    public static bool Supports(GgmlType type) =>
        type is GgmlType.Q4_0 or GgmlType.Q4_1 or GgmlType.Q5_0 or GgmlType.Q5_1 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    /// <summary>Σx per 32-block of x as the kernels want it: xs[b]·Σ xq[b·32 .. b·32+31].</summary>
    internal static void BlockSums(sbyte* xq, float* xs, int n, float* xsum)
    {
        for (int b = 0; b < n / Q8.BlockSize; b++)
        {
            int s = 0;
            for (int i = 0; i < Q8.BlockSize; i++) s += xq[b * Q8.BlockSize + i];
            xsum[b] = s * xs[b];
        }
    }

    /// <summary>y[t, o] = Σ_i x[t, i]·W[o, i] + b[o] with W [Out, In] as ggml blocks of <paramref name="type"/> (row after
    /// row), x quantised per 32-block to int8 first. Output rows split across the pool.</summary>
    public static void Forward(GgmlType type, ReadOnlySpan<float> x, ReadOnlySpan<byte> blocks, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int inDim, int outDim, WorkerPool? pool = null)
    {
        long rowBytes = CheckShapes(type, x, blocks, bias, y, rows, inDim, outDim);
        int nb = inDim / Q8.BlockSize;
        var xv = GC.AllocateArray<sbyte>(rows * inDim, pinned: true);
        var xs = GC.AllocateArray<float>(rows * nb, pinned: true);
        var xsum = GC.AllocateArray<float>(rows * nb, pinned: true);
        Q8.QuantizeRow(x[..(rows * inDim)], xv, xs);
        fixed (byte* pw = blocks)
        fixed (sbyte* pxv = xv)
        fixed (float* pxs = xs, pxsum = xsum, pb = bias, py = y)
        {
            for (int t = 0; t < rows; t++) BlockSums(pxv + t * inDim, pxs + t * nb, inDim, pxsum + t * nb);
            var job = new Job { Type = type, W = pw, RowBytes = rowBytes, XV = pxv, XS = pxs, XSum = pxsum, B = pb, Y = py, Rows = rows, In = inDim, Out = outDim,
                Width = KernelDispatch.Width };
            if ((long)rows * inDim * outDim < 1 << 16) job.Execute(0, 1);
            else (pool ?? WorkerPool.Shared).Run(job);
        }
    }

    /// <summary>The oracle: the same int8 x, each weight row dequantised (<see cref="GgmlQuants.Dequantize"/>), dot products
    /// accumulated in double.</summary>
    public static void ForwardNaive(GgmlType type, ReadOnlySpan<float> x, ReadOnlySpan<byte> blocks, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int inDim, int outDim)
    {
        long rowBytes = CheckShapes(type, x, blocks, bias, y, rows, inDim, outDim);
        var xv = new sbyte[rows * inDim];
        var xs = new float[rows * inDim / Q8.BlockSize];
        Q8.Quantize(x[..(rows * inDim)], xv, xs);
        var w = new float[inDim];
        for (int o = 0; o < outDim; o++)
        {
            GgmlQuants.Dequantize(type, blocks.Slice((int)(o * rowBytes), (int)rowBytes), w);
            for (int t = 0; t < rows; t++)
            {
                double s = bias.IsEmpty ? 0 : bias[o];
                for (int i = 0; i < inDim; i++) s += (double)xv[t * inDim + i] * xs[(t * inDim + i) / Q8.BlockSize] * w[i];
                y[t * outDim + o] = (float)s;
            }
        }
    }

    private static long CheckShapes(GgmlType type, ReadOnlySpan<float> x, ReadOnlySpan<byte> blocks, ReadOnlySpan<float> bias,
        Span<float> y, int rows, int inDim, int outDim)
    {
        if (!Supports(type)) throw new ArgumentException($"ggml type {type} has no matrix-vector kernel");
        GgmlTypes.TryGetLayout(type, out int weights, out _);
        if (inDim % weights != 0)
            throw new ArgumentException($"{type} rows hold whole {weights}-weight blocks; In {inDim} is not a multiple");
        long rowBytes = GgmlTypes.ByteCount(type, inDim);
        if (x.Length < (long)rows * inDim || blocks.Length < rowBytes * outDim || y.Length < (long)rows * outDim || (!bias.IsEmpty && bias.Length < outDim))
            throw new ArgumentException($"{type} shapes: x {x.Length} (need {rows}x{inDim}), W {blocks.Length} bytes (need {outDim} rows of {rowBytes}), b {bias.Length}, y {y.Length} (need {rows}x{outDim})");
        return rowBytes;
    }

    private sealed class Job : IParallelWork
    {
        public GgmlType Type;
        public byte* W;
        public long RowBytes;
        public sbyte* XV;
        public float* XS, XSum, B, Y;
        public int Rows, In, Out;
        public VectorWidth Width;

        public void Execute(int part, int parts)
        {
            var (o0, o1) = WorkerPool.Share(Out, part, parts, align: 4);
            int nb = In / Q8.BlockSize;
            for (int t = 0; t < Rows; t++)
                GgmlMatVec.Rows(Type, XV + (long)t * In, XS + (long)t * nb, XSum + (long)t * nb, W, B, In, o0, o1, Y + (long)t * Out + o0, Width);
        }
    }

    /// <summary>dst[o − o0] = W[o]·x + b[o] for o in [o0, o1), x already quantised (int8 values, a scale and a Σx per
    /// 32-block); <paramref name="width"/> as the dispatching thread chose it (512: vpdpbusd where AVX-VNNI exists).</summary>
    internal static void Rows(GgmlType type, sbyte* xv, float* xs, float* xsum, byte* w, float* bias, int n, int o0, int o1, float* dst,
        VectorWidth width)
    {
        if (!Avx2.IsSupported)
        {
            long rowBytes = GgmlTypes.ByteCount(type, n);
            for (int o = o0; o < o1; o++) dst[o - o0] = DotScalar(type, w + o * rowBytes, xv, xs, n) + (bias != null ? bias[o] : 0f);
        }
        else if (width == VectorWidth.Bits512 && AvxVnni.IsSupported) Rows<GemmQ8.VnniDot>(type, xv, xs, xsum, w, bias, n, o0, o1, dst);
        else Rows<GemmQ8.Avx2Dot>(type, xv, xs, xsum, w, bias, n, o0, o1, dst);
    }

    private static void Rows<TDot>(GgmlType type, sbyte* xv, float* xs, float* xsum, byte* w, float* bias, int n, int o0, int o1, float* dst)
        where TDot : struct, GemmQ8.IDot
    {
        long rowBytes = GgmlTypes.ByteCount(type, n);
        for (int o = o0; o < o1; o++)
        {
            byte* row = w + o * rowBytes;
            float dot = type switch
            {
                GgmlType.Q4_K => DotQ4K<TDot>(row, xv, xs, xsum, n),
                GgmlType.Q5_K => DotQ5K<TDot>(row, xv, xs, xsum, n),
                GgmlType.Q6_K => DotQ6K<TDot>(row, xv, xs, n),
                GgmlType.Q4_0 => DotBlocks32<TDot, BlockQ40>(row, xv, xs, xsum, n),
                GgmlType.Q4_1 => DotBlocks32<TDot, BlockQ41>(row, xv, xs, xsum, n),
                GgmlType.Q5_0 => DotBlocks32<TDot, BlockQ50>(row, xv, xs, xsum, n),
                GgmlType.Q5_1 => DotBlocks32<TDot, BlockQ51>(row, xv, xs, xsum, n),
                _ => throw new ArgumentException($"ggml type {type} has no matrix-vector kernel"),
            };
            dst[o - o0] = dot + (bias != null ? bias[o] : 0f);
        }
    }

    // Without AVX2: each block widened to float32 (the reference dequantiser) and dotted with the int8 x.
    private static float DotScalar(GgmlType type, byte* row, sbyte* xv, float* xs, int n)
        => DotScalar(type, new ReadOnlySpan<byte>(row, (int)GgmlTypes.ByteCount(type, n)), new ReadOnlySpan<sbyte>(xv, n),
            new ReadOnlySpan<float>(xs, n / Q8.BlockSize), n);

    internal static float DotScalar(GgmlType type, ReadOnlySpan<byte> row, ReadOnlySpan<sbyte> xv, ReadOnlySpan<float> xs, int n)
    {
        GgmlTypes.TryGetLayout(type, out int weights, out int size);
        Span<float> w = stackalloc float[weights];
        float s = 0;
        for (int b = 0; b < n / weights; b++)
        {
            GgmlQuants.DequantizeBlock(type, row.Slice(b * size, size), w);   // the row was checked once by the caller
            for (int i = 0; i < weights; i++)
            {
                int k = b * weights + i;
                s += xv[k] * xs[k / Q8.BlockSize] * w[i];
            }
        }
        return s;
    }

    // Every half as float32 (256 KiB, stays in L2): one load per block scale instead of a software conversion.
    private static readonly float[] HalfTable = BuildHalfTable();

    private static float[] BuildHalfTable()
    {
        var table = new float[65536];
        for (int i = 0; i < table.Length; i++) table[i] = ReducedPrecision.HalfToFloat((ushort)i);
        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Half(byte* p)
        => Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(HalfTable), BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(p, 2)));

    /// <summary>Eight int32 partial sums (as float) of Σ u·x over 32 bytes: u unsigned ≤ 63 (vpmaddubsw cannot saturate),
    /// x signed int8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> UnsignedDot<TDot>(Vector256<byte> u, Vector256<sbyte> x) where TDot : struct, GemmQ8.IDot
        => Avx.ConvertToVector256Single(TDot.Add(Vector256<int>.Zero, u, x));

    /// <summary>As <see cref="UnsignedDot"/> for signed weights |w| ≤ 32: |x| goes in unsigned, x's sign moves onto w.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> SignedDot<TDot>(Vector256<sbyte> w, Vector256<sbyte> x) where TDot : struct, GemmQ8.IDot
        => Avx.ConvertToVector256Single(TDot.Add(Vector256<int>.Zero, Avx2.Abs(x).AsByte(), Avx2.Sign(w, x)));

    private static float DotQ4K<TDot>(byte* w, sbyte* xv, float* xs, float* xsum, int n)
        where TDot : struct, GemmQ8.IDot
    {
        var low = Vector256.Create((byte)0x0F);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
        float mins = 0;
        for (int sb = 0; sb < n / 256; sb++, w += 144)
        {
            float d = Half(w), dmin = Half(w + 2);
            var scales = new ReadOnlySpan<byte>(w + 4, 12);
            byte* q = w + 16;
            int xb = sb * 8;
            for (int p = 0; p < 4; p++, q += 32, xb += 2)
            {
                GgmlQuants.ScaleMinK4(2 * p, scales, out int sc1, out int m1);
                GgmlQuants.ScaleMinK4(2 * p + 1, scales, out int sc2, out int m2);
                var qb = Avx.LoadVector256(q);
                var lo = Avx2.And(qb, low);
                var hi = Avx2.And(Avx2.ShiftRightLogical(qb.AsUInt16(), 4).AsByte(), low);
                acc0 = MatMul.MulAdd(UnsignedDot<TDot>(lo, Avx.LoadVector256(xv + xb * 32)), Vector256.Create(d * sc1 * xs[xb]), acc0);
                acc1 = MatMul.MulAdd(UnsignedDot<TDot>(hi, Avx.LoadVector256(xv + (xb + 1) * 32)), Vector256.Create(d * sc2 * xs[xb + 1]), acc1);
                mins += dmin * (m1 * xsum[xb] + m2 * xsum[xb + 1]);
            }
        }
        return Vector256.Sum(acc0 + acc1) - mins;
    }

    private static float DotQ5K<TDot>(byte* w, sbyte* xv, float* xs, float* xsum, int n)
        where TDot : struct, GemmQ8.IDot
    {
        var low = Vector256.Create((byte)0x0F);
        var bit = Vector256.Create((byte)0x01);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
        float mins = 0;
        for (int sb = 0; sb < n / 256; sb++, w += 176)
        {
            float d = Half(w), dmin = Half(w + 2);
            var scales = new ReadOnlySpan<byte>(w + 4, 12);
            var qh = Avx.LoadVector256(w + 16).AsUInt16();
            byte* q = w + 48;
            int xb = sb * 8;
            for (int p = 0; p < 4; p++, q += 32, xb += 2)
            {
                GgmlQuants.ScaleMinK4(2 * p, scales, out int sc1, out int m1);
                GgmlQuants.ScaleMinK4(2 * p + 1, scales, out int sc2, out int m2);
                var qb = Avx.LoadVector256(q);
                // Bit 2p (2p+1) of qh[l] is the fifth bit of weight l of sub-block 2p (2p+1); moved to bit 4 of each byte.
                var h1 = Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(qh, (byte)(2 * p)).AsByte(), bit).AsUInt16(), 4).AsByte();
                var h2 = Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(qh, (byte)(2 * p + 1)).AsByte(), bit).AsUInt16(), 4).AsByte();
                var lo = Avx2.Or(Avx2.And(qb, low), h1);
                var hi = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(qb.AsUInt16(), 4).AsByte(), low), h2);
                acc0 = MatMul.MulAdd(UnsignedDot<TDot>(lo, Avx.LoadVector256(xv + xb * 32)), Vector256.Create(d * sc1 * xs[xb]), acc0);
                acc1 = MatMul.MulAdd(UnsignedDot<TDot>(hi, Avx.LoadVector256(xv + (xb + 1) * 32)), Vector256.Create(d * sc2 * xs[xb + 1]), acc1);
                mins += dmin * (m1 * xsum[xb] + m2 * xsum[xb + 1]);
            }
        }
        return Vector256.Sum(acc0 + acc1) - mins;
    }

    private static float DotQ6K<TDot>(byte* w, sbyte* xv, float* xs, int n)
        where TDot : struct, GemmQ8.IDot
    {
        var low = Vector256.Create((byte)0x0F);
        var two = Vector256.Create((byte)0x03);
        var offset = Vector256.Create((byte)32);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
        for (int sb = 0; sb < n / 256; sb++, w += 210)
        {
            float d = Half(w + 208);
            byte* ql = w, qh = w + 128;
            sbyte* sc = (sbyte*)(w + 192);
            for (int half = 0; half < 2; half++, ql += 64, qh += 32, sc += 8)
            {
                var a = Avx.LoadVector256(ql);
                var b = Avx.LoadVector256(ql + 32);
                var h = Avx.LoadVector256(qh).AsUInt16();
                // Weights l, l+32, l+64, l+96 of this 128: a nibble of ql and two bits of qh, then − 32.
                var q1 = Avx2.Or(Avx2.And(a, low), Avx2.ShiftLeftLogical(Avx2.And(h.AsByte(), two).AsUInt16(), 4).AsByte());
                var q2 = Avx2.Or(Avx2.And(b, low), Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 2).AsByte(), two).AsUInt16(), 4).AsByte());
                var q3 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(a.AsUInt16(), 4).AsByte(), low),
                    Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 4).AsByte(), two).AsUInt16(), 4).AsByte());
                var q4 = Avx2.Or(Avx2.And(Avx2.ShiftRightLogical(b.AsUInt16(), 4).AsByte(), low),
                    Avx2.ShiftLeftLogical(Avx2.And(Avx2.ShiftRightLogical(h, 6).AsByte(), two).AsUInt16(), 4).AsByte());
                int xb = sb * 8 + half * 4;
                acc0 = MatMul.MulAdd(SignedDot<TDot>(Avx2.Subtract(q1, offset).AsSByte(), Avx.LoadVector256(xv + xb * 32)), Scales(d * xs[xb], sc[0], sc[1]), acc0);
                acc1 = MatMul.MulAdd(SignedDot<TDot>(Avx2.Subtract(q2, offset).AsSByte(), Avx.LoadVector256(xv + (xb + 1) * 32)), Scales(d * xs[xb + 1], sc[2], sc[3]), acc1);
                acc0 = MatMul.MulAdd(SignedDot<TDot>(Avx2.Subtract(q3, offset).AsSByte(), Avx.LoadVector256(xv + (xb + 2) * 32)), Scales(d * xs[xb + 2], sc[4], sc[5]), acc0);
                acc1 = MatMul.MulAdd(SignedDot<TDot>(Avx2.Subtract(q4, offset).AsSByte(), Avx.LoadVector256(xv + (xb + 3) * 32)), Scales(d * xs[xb + 3], sc[6], sc[7]), acc1);
            }
        }
        return Vector256.Sum(acc0 + acc1);
    }

    // vpmaddwd's lanes 0..3 sum weights 0..15 of the 32, lanes 4..7 weights 16..31: each half has its own Q6_K scale.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Scales(float common, sbyte first, sbyte second)
        => Vector256.Create(Vector128.Create(common * first), Vector128.Create(common * second));

    /// <summary>The 32-weight block types (Q4_0, Q4_1, Q5_0, Q5_1): each weight is d·q + m with q unsigned, m = −8d / −16d
    /// for Q4_0 / Q5_0 and a stored half for Q4_1 / Q5_1, so a block's dot is d·xs·Σq·x + m·Σx. A struct type argument
    /// per layout, so the JIT compiles <see cref="DotBlocks32"/> once per type with the unpacking inlined.</summary>
    private interface IBlock32
    {
        static abstract int Bytes { get; }

        static abstract Vector256<byte> Quants(byte* block, Vector128<byte> low);

        static abstract float Min(byte* block, float d);
    }

    private readonly struct BlockQ40 : IBlock32
    {
        public static int Bytes => 18;   // d, qs[16]
        public static Vector256<byte> Quants(byte* block, Vector128<byte> low) => Nibbles(block + 2, low);
        public static float Min(byte* block, float d) => -8 * d;
    }

    private readonly struct BlockQ41 : IBlock32
    {
        public static int Bytes => 20;   // d, m, qs[16]
        public static Vector256<byte> Quants(byte* block, Vector128<byte> low) => Nibbles(block + 4, low);
        public static float Min(byte* block, float d) => Half(block + 2);
    }

    private readonly struct BlockQ50 : IBlock32
    {
        public static int Bytes => 22;   // d, qh (u32), qs[16]
        public static Vector256<byte> Quants(byte* block, Vector128<byte> low) => Avx2.Or(Nibbles(block + 6, low), FifthBits(block + 2));
        public static float Min(byte* block, float d) => -16 * d;
    }

    private readonly struct BlockQ51 : IBlock32
    {
        public static int Bytes => 24;   // d, m, qh (u32), qs[16]
        public static Vector256<byte> Quants(byte* block, Vector128<byte> low) => Avx2.Or(Nibbles(block + 8, low), FifthBits(block + 4));
        public static float Min(byte* block, float d) => Half(block + 2);
    }

    // Two blocks a step into two accumulators; the min terms summed as scalars.
    private static float DotBlocks32<TDot, TBlock>(byte* w, sbyte* xv, float* xs, float* xsum, int n)
        where TDot : struct, GemmQ8.IDot
        where TBlock : struct, IBlock32
    {
        var low = Vector128.Create((byte)0x0F);
        Vector256<float> acc0 = Vector256<float>.Zero, acc1 = acc0;
        float mins = 0;
        int blocks = n / 32, b = 0;
        for (; b + 2 <= blocks; b += 2, w += 2 * TBlock.Bytes)
        {
            byte* w1 = w + TBlock.Bytes;
            float d0 = Half(w), d1 = Half(w1);
            acc0 = MatMul.MulAdd(UnsignedDot<TDot>(TBlock.Quants(w, low), Avx.LoadVector256(xv + b * 32)), Vector256.Create(d0 * xs[b]), acc0);
            acc1 = MatMul.MulAdd(UnsignedDot<TDot>(TBlock.Quants(w1, low), Avx.LoadVector256(xv + (b + 1) * 32)), Vector256.Create(d1 * xs[b + 1]), acc1);
            mins += TBlock.Min(w, d0) * xsum[b] + TBlock.Min(w1, d1) * xsum[b + 1];
        }
        for (; b < blocks; b++, w += TBlock.Bytes)
        {
            float d = Half(w);
            acc0 = MatMul.MulAdd(UnsignedDot<TDot>(TBlock.Quants(w, low), Avx.LoadVector256(xv + b * 32)), Vector256.Create(d * xs[b]), acc0);
            mins += TBlock.Min(w, d) * xsum[b];
        }
        return Vector256.Sum(acc0 + acc1) + mins;
    }

    /// <summary>The 32 four-bit quants of a 32-block's qs[16], one a byte in weight order: the low nibbles are weights
    /// 0..15, the high nibbles 16..31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Nibbles(byte* qs, Vector128<byte> low)
    {
        var q = Sse2.LoadVector128(qs);
        return Vector256.Create(Sse2.And(q, low), Sse2.And(Sse2.ShiftRightLogical(q.AsUInt16(), 4).AsByte(), low));
    }

    /// <summary>Q5_0/Q5_1's fifth bits (a little-endian u32 whose bit j belongs to weight j) as 0x10 in byte j, else 0
    /// (ggml's bytes_from_bits_32: each byte gets its quarter of the word, then tests its own bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> FifthBits(byte* qh)
    {
        var spread = Avx2.Shuffle(Vector256.Create(Unsafe.ReadUnaligned<uint>(qh)).AsByte(),
            Vector256.Create(0x0000000000000000UL, 0x0101010101010101UL, 0x0202020202020202UL, 0x0303030303030303UL).AsByte());
        var set = Avx2.CompareEqual(Avx2.Or(spread, Vector256.Create(0x7FBFDFEFF7FBFDFEUL).AsByte()), Vector256<byte>.AllBitsSet);
        return Avx2.And(set, Vector256.Create((byte)0x10));
    }
}
