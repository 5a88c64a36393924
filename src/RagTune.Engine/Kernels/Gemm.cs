// Cache-blocked SGEMM on AVX2/FMA: C[M,N] (+)= op(A)·op(B), for prefill (x·Wᵀ) and for training's backward products.
// Entry points over float spans with leading dimensions (row-major, element (r, c) of X at X[r·ldx + c]):
//   MultiplyTransB: C = A·Bᵀ   A [M, K], B [N, K]  — forward of a Linear (B = weight [Out, In]); dX = dY·W uses Multiply
//   Multiply:       C = A·B    A [M, K], B [K, N]  — e.g. dX [T, In] = dY [T, Out] · W [Out, In]
//   MultiplyTransA: C = Aᵀ·B   A [K, M], B [K, N]  — e.g. dW [Out, In] += dYᵀ [Out, T] · X [T, In] (accumulate: true)
// Scheme (as in BLIS/OpenBLAS): K is cut into blocks of KC; per block each worker packs 16 columns of op(B) at a time
// into a KC×16 panel (16 KB, stays in L1) and runs a 6×16 micro-kernel (12 ymm accumulators, 2 panel loads and 6
// broadcasts per 12 FMAs) down all M rows. Packing happens per call, block by block, so the weights are stored once,
// row-major as in the checkpoint, and the pass that packs them is the pass the product makes over them anyway.
// B may also be bf16 or Q8_0 weights (converted to float32 while packing, so the micro-kernel is the same).
// Workers split the N panels; no allocation after a thread's first call (its panel buffer is thread-static).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class Gemm
{
    internal const int MR = 6, NR = 16, KC = 256;

    /// <summary>C[i, j] (+)= Σ_k A[i, k]·B[j, k] (+ bias[j]). A [M, K] (lda), B [N, K] (ldb), C [M, N] (ldc).
    /// Without <paramref name="accumulate"/> C is overwritten; <paramref name="bias"/> (length N) may be empty.</summary>
    public static void MultiplyTransB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
        => Run(a, lda, 1, b, 1, ldb, c, ldc, m, n, k, accumulate, bias, pool);

    /// <summary>C[i, j] (+)= Σ_k A[i, k]·B[k, j] (+ bias[j]). A [M, K] (lda), B [K, N] (ldb), C [M, N] (ldc).</summary>
    public static void Multiply(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
        => Run(a, lda, 1, b, ldb, 1, c, ldc, m, n, k, accumulate, bias, pool);

    /// <summary>C[i, j] (+)= Σ_k A[k, i]·B[k, j] (+ bias[j]). A [K, M] (lda), B [K, N] (ldb), C [M, N] (ldc).
    /// With accumulate: true this is the weight-gradient update dW += dYᵀ·X.</summary>
    public static void MultiplyTransA(ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
        => Run(a, 1, lda, b, ldb, 1, c, ldc, m, n, k, accumulate, bias, pool);

    /// <summary>As <see cref="MultiplyTransB"/> with B [N, K] in bfloat16 (row stride ldb), widened to float32 while packing.</summary>
    public static void MultiplyTransB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<ushort> b, int ldb, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
    {
        CheckShapes(a, lda, 1, b.Length, 1, ldb, c, ldc, m, n, k, bias);
        fixed (ushort* pb = b)
            Run(a, lda, 1, default, 1, ldb, c, ldc, m, n, k, accumulate, bias, pool, new Source(pb, null, null));
    }

    /// <summary>As <see cref="MultiplyTransB"/> with B [N, K] in Q8_0 blocks (<see cref="Q8"/>): values [N·K] and one
    /// scale per 32 values [N·K/32]; K must be a multiple of 32. Blocks are dequantised while packing.</summary>
    public static void MultiplyTransB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
    {
        CheckShapes(a, lda, 1, values.Length, 1, k, c, ldc, m, n, k, bias);
        if (k % Q8.BlockSize != 0 || scales.Length < (long)n * k / Q8.BlockSize)
            throw new ArgumentException($"GEMM shapes: Q8 B has {scales.Length} scales, need {n}x{k}/{Q8.BlockSize} with K a multiple of {Q8.BlockSize}");
        fixed (sbyte* pv = values)
        fixed (float* ps = scales)
            Run(a, lda, 1, default, 1, k, c, ldc, m, n, k, accumulate, bias, pool, new Source(null, pv, ps));
    }

    /// <summary>Where op(B) comes from when it is not float32: bf16 bits, or Q8 values + scales (both row-major [N, K]).</summary>
    private readonly struct Source(ushort* bf16, sbyte* q8Values, float* q8Scales)
    {
        public readonly ushort* BF16 = bf16;
        public readonly sbyte* Q8Values = q8Values;
        public readonly float* Q8Scales = q8Scales;
    }

    /// <summary>The oracle for all three: plain loops in double. A(i, k) = a[i·rsA + k·csA], B(k, j) = b[k·rsB + j·csB].</summary>
    public static void Naive(ReadOnlySpan<float> a, int rsA, int csA, ReadOnlySpan<float> b, int rsB, int csB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default)
    {
        CheckShapes(a, rsA, csA, b.Length, rsB, csB, c, ldc, m, n, k, bias);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = (accumulate ? c[i * ldc + j] : 0) + (bias.IsEmpty ? 0 : bias[j]);
                for (int p = 0; p < k; p++)
                    s += (double)a[i * rsA + p * csA] * b[p * rsB + j * csB];
                c[i * ldc + j] = (float)s;
            }
    }

    private static void Run(ReadOnlySpan<float> a, int rsA, int csA, ReadOnlySpan<float> b, int rsB, int csB,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate, ReadOnlySpan<float> bias, WorkerPool? pool, Source source = default)
    {
        if (source.BF16 == null && source.Q8Values == null) CheckShapes(a, rsA, csA, b.Length, rsB, csB, c, ldc, m, n, k, bias);
        if (m == 0 || n == 0) return;
        pool ??= WorkerPool.Shared;
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var job = Job.ForThisThread;
            job.A = pa; job.RsA = rsA; job.CsA = csA;
            job.B = pb; job.RsB = rsB; job.CsB = csB;
            job.C = pc; job.Ldc = ldc; job.M = m; job.N = n; job.K = k;
            job.Accumulate = accumulate; job.Bias = bias.IsEmpty ? null : pbias; job.From = source;
            // Below ~1 MFLOP a dispatch costs more than it saves.
            if ((long)m * n * k < 1 << 19) job.Execute(0, 1);
            else pool.Run(job);
            job.A = job.B = job.C = job.Bias = null;
            job.From = default;
        }
    }

    private static void CheckShapes(ReadOnlySpan<float> a, int rsA, int csA, int bLength, int rsB, int csB,
        Span<float> c, int ldc, int m, int n, int k, ReadOnlySpan<float> bias)
    {
        if (m < 0 || n < 0 || k < 0) throw new ArgumentException($"GEMM sizes must not be negative: M {m}, N {n}, K {k}");
        static long Need(int rows, int cols, long rs, long cs) => rows == 0 || cols == 0 ? 0 : (rows - 1) * rs + (cols - 1) * cs + 1;
        if (a.Length < Need(m, k, rsA, csA) || bLength < Need(k, n, rsB, csB) || c.Length < Need(m, n, ldc, 1)
            || (!bias.IsEmpty && bias.Length < n))
            throw new ArgumentException(
                $"GEMM shapes: M {m}, N {n}, K {k}: A has {a.Length} floats (need {Need(m, k, rsA, csA)}), B {bLength} (need {Need(k, n, rsB, csB)}), " +
                $"C {c.Length} (need {Need(m, n, ldc, 1)}), bias {bias.Length} (need 0 or {n})");
    }

    private sealed class Job : IParallelWork
    {
        [ThreadStatic] private static Job? _forThisThread;
        [ThreadStatic] private static float[]? _panel;

        public static Job ForThisThread => _forThisThread ??= new Job();

        public float* A, B, C, Bias;
        public long RsA, CsA, RsB, CsB;
        public int Ldc, M, N, K;
        public bool Accumulate;
        public Source From;

        public void Execute(int part, int parts)
        {
            int panels = (N + NR - 1) / NR;
            var (p0, p1) = WorkerPool.Share(panels, part, parts);
            if (p0 >= p1) return;
            _panel ??= GC.AllocateArray<float>(KC * NR, pinned: true);
            float* panel = (float*)Unsafe.AsPointer(ref _panel[0]);
            float* tile = stackalloc float[MR * NR];
            float* biasTile = stackalloc float[NR];
            for (int k0 = 0; k0 < K || k0 == 0; k0 += KC)
            {
                int kc = Math.Min(KC, K - k0);
                bool load = Accumulate || k0 > 0;
                for (int p = p0; p < p1; p++)
                {
                    int j0 = p * NR, nr = Math.Min(NR, N - j0);
                    if (From.BF16 != null) PackBF16(From.BF16 + j0 * CsB + k0, CsB, kc, nr, panel);
                    else if (From.Q8Values != null) PackQ8(From.Q8Values + j0 * CsB + k0, From.Q8Scales + (j0 * CsB + k0) / Q8.BlockSize, CsB, kc, nr, panel);
                    else PackB(B + k0 * RsB + j0 * CsB, RsB, CsB, kc, nr, panel);
                    float* bias = null;
                    if (k0 == 0 && Bias != null)
                    {
                        for (int j = 0; j < NR; j++) biasTile[j] = j < nr ? Bias[j0 + j] : 0f;
                        bias = biasTile;
                    }
                    for (int i0 = 0; i0 < M; i0 += MR)
                    {
                        int mr = Math.Min(MR, M - i0);
                        float* a = A + i0 * RsA + k0 * CsA;
                        float* c = C + (long)i0 * Ldc + j0;
                        if (mr == MR && nr == NR)
                        {
                            Kernel6x16(a, RsA, CsA, panel, kc, c, Ldc, load, bias);
                            continue;
                        }
                        // Edge tile: run the full kernel into a 6×16 scratch tile (missing A rows repeat row 0), keep mr×nr.
                        for (int r = 0; r < MR; r++)
                            for (int j = 0; j < NR; j++)
                                tile[r * NR + j] = load && r < mr && j < nr ? c[(long)r * Ldc + j] : 0f;
                        Kernel6x16(a, RsA, CsA, panel, kc, tile, NR, true, bias, mr);
                        for (int r = 0; r < mr; r++)
                            for (int j = 0; j < nr; j++)
                                c[(long)r * Ldc + j] = tile[r * NR + j];
                    }
                }
            }
        }
    }

    /// <summary>Packs op(B)[k0.., j0..] (kc × nr, B(k, j) = b[k·rsB + j·csB]) into panel[kk·16 + jj], zero beyond nr.</summary>
    internal static void PackB(float* b, long rsB, long csB, int kc, int nr, float* panel)
    {
        if (rsB == 1 && nr == NR && Avx.IsSupported)
        {
            // Sixteen rows of a row-major weight: transpose 8×8 blocks in registers.
            int kk = 0;
            for (; kk + 8 <= kc; kk += 8)
            {
                Transpose8x8(b + kk, csB, panel + kk * NR, NR);
                Transpose8x8(b + 8 * csB + kk, csB, panel + kk * NR + 8, NR);
            }
            for (; kk < kc; kk++)
                for (int j = 0; j < NR; j++) panel[kk * NR + j] = b[j * csB + kk];
            return;
        }
        if (csB == 1 && nr == NR)
        {
            for (int kk = 0; kk < kc; kk++)
            {
                Vector256.Store(Vector256.Load(b + kk * rsB), panel + kk * NR);
                Vector256.Store(Vector256.Load(b + kk * rsB + 8), panel + kk * NR + 8);
            }
            return;
        }
        for (int kk = 0; kk < kc; kk++)
            for (int j = 0; j < NR; j++)
                panel[kk * NR + j] = j < nr ? b[kk * rsB + j * csB] : 0f;
    }

    /// <summary>dst[c·ldd + r] = src[r·lds + c] for an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long lds, float* dst, long ldd) => Transpose8x8(
        Avx.LoadVector256(src), Avx.LoadVector256(src + lds), Avx.LoadVector256(src + 2 * lds), Avx.LoadVector256(src + 3 * lds),
        Avx.LoadVector256(src + 4 * lds), Avx.LoadVector256(src + 5 * lds), Avx.LoadVector256(src + 6 * lds), Avx.LoadVector256(src + 7 * lds),
        dst, ldd);

    /// <summary>Stores the transpose of the 8×8 block whose rows are r0..r7: dst[c·ldd + r] = r_r[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* dst, long ldd)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(s3, s7, 0x31));
    }

    /// <summary>Packs 16 bf16 weight rows (row stride ld) × kc into a float panel, zero rows beyond nr.</summary>
    private static void PackBF16(ushort* b, long ld, int kc, int nr, float* panel)
    {
        int kk = 0;
        if (nr == NR && Avx2.IsSupported)
            for (; kk + 8 <= kc; kk += 8)
                for (int half = 0; half < 2; half++)
                {
                    ushort* r = b + half * 8 * ld + kk;
                    Transpose8x8(Widen(r), Widen(r + ld), Widen(r + 2 * ld), Widen(r + 3 * ld),
                        Widen(r + 4 * ld), Widen(r + 5 * ld), Widen(r + 6 * ld), Widen(r + 7 * ld), panel + kk * NR + half * 8, NR);
                }
        for (; kk < kc; kk++)
            for (int j = 0; j < NR; j++)
                panel[kk * NR + j] = j < nr ? BitConverter.Int32BitsToSingle(b[j * ld + kk] << 16) : 0f;
    }

    /// <summary>Eight bf16 values → float32 (a bf16 is the top half of a float32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Widen(ushort* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

    /// <summary>Packs 16 Q8 weight rows (row stride ld, a scale per 32 values) × kc into a float panel; k0 is block-aligned.</summary>
    private static void PackQ8(sbyte* v, float* scales, long ld, int kc, int nr, float* panel)
    {
        long sld = ld / Q8.BlockSize;
        int kk = 0;
        if (nr == NR && Avx2.IsSupported)
            for (; kk + 8 <= kc; kk += 8)
                for (int half = 0; half < 2; half++)
                {
                    int row = half * 8;
                    sbyte* r = v + row * ld + kk;
                    float* s = scales + row * sld + kk / Q8.BlockSize;
                    Transpose8x8(Dequant(r, s), Dequant(r + ld, s + sld), Dequant(r + 2 * ld, s + 2 * sld), Dequant(r + 3 * ld, s + 3 * sld),
                        Dequant(r + 4 * ld, s + 4 * sld), Dequant(r + 5 * ld, s + 5 * sld), Dequant(r + 6 * ld, s + 6 * sld),
                        Dequant(r + 7 * ld, s + 7 * sld), panel + kk * NR + half * 8, NR);
                }
        for (; kk < kc; kk++)
            for (int j = 0; j < NR; j++)
                panel[kk * NR + j] = j < nr ? v[j * ld + kk] * scales[j * sld + kk / Q8.BlockSize] : 0f;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Dequant(sbyte* p, float* scale) =>
        Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(p)) * Vector256.Create(*scale);

    /// <summary>The 6×16 micro-kernel: c[0..6, 0..16] = (load ? c : 0) + (bias ?? 0) + Σ_kk A(r, kk)·panel[kk, 0..16].
    /// A(r, kk) = a[r·rsA + kk·csA]; rows at or beyond <paramref name="rows"/> repeat row 0 (edge tiles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(float* a, long rsA, long csA, float* panel, int kc, float* c, long ldc, bool load,
        float* bias, int rows = MR)
    {
        float* a0 = a;
        float* a1 = rows > 1 ? a + rsA : a;
        float* a2 = rows > 2 ? a + 2 * rsA : a;
        float* a3 = rows > 3 ? a + 3 * rsA : a;
        float* a4 = rows > 4 ? a + 4 * rsA : a;
        float* a5 = rows > 5 ? a + 5 * rsA : a;
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            c00 = Vector256.Load(c); c01 = Vector256.Load(c + 8);
            c10 = Vector256.Load(c + ldc); c11 = Vector256.Load(c + ldc + 8);
            c20 = Vector256.Load(c + 2 * ldc); c21 = Vector256.Load(c + 2 * ldc + 8);
            c30 = Vector256.Load(c + 3 * ldc); c31 = Vector256.Load(c + 3 * ldc + 8);
            c40 = Vector256.Load(c + 4 * ldc); c41 = Vector256.Load(c + 4 * ldc + 8);
            c50 = Vector256.Load(c + 5 * ldc); c51 = Vector256.Load(c + 5 * ldc + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }
        if (bias != null)
        {
            var b0 = Vector256.Load(bias);
            var b1 = Vector256.Load(bias + 8);
            c00 += b0; c10 += b0; c20 += b0; c30 += b0; c40 += b0; c50 += b0;
            c01 += b1; c11 += b1; c21 += b1; c31 += b1; c41 += b1; c51 += b1;
        }
        long off = 0;
        for (int kk = 0; kk < kc; kk++, off += csA, panel += NR)
        {
            var b0 = Vector256.Load(panel);
            var b1 = Vector256.Load(panel + 8);
            var x = Vector256.Create(a0[off]);
            c00 = MatMul.MulAdd(x, b0, c00); c01 = MatMul.MulAdd(x, b1, c01);
            x = Vector256.Create(a1[off]);
            c10 = MatMul.MulAdd(x, b0, c10); c11 = MatMul.MulAdd(x, b1, c11);
            x = Vector256.Create(a2[off]);
            c20 = MatMul.MulAdd(x, b0, c20); c21 = MatMul.MulAdd(x, b1, c21);
            x = Vector256.Create(a3[off]);
            c30 = MatMul.MulAdd(x, b0, c30); c31 = MatMul.MulAdd(x, b1, c31);
            x = Vector256.Create(a4[off]);
            c40 = MatMul.MulAdd(x, b0, c40); c41 = MatMul.MulAdd(x, b1, c41);
            x = Vector256.Create(a5[off]);
            c50 = MatMul.MulAdd(x, b0, c50); c51 = MatMul.MulAdd(x, b1, c51);
        }
        c00.Store(c); c01.Store(c + 8);
        c10.Store(c + ldc); c11.Store(c + ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }
}
