// Q8_0 × Q8_0 GEMM for prefill with int8 weights: C[M,N] (+)= x·Wᵀ with W [N, K] in Q8 blocks (Q8.cs) and the rows of x
// quantised the same way (per block of 32, as the decode path and llama.cpp's Q8_0 × Q8_0 product do), int8 products
// summed exactly in int32 per block, then scaled by s_x·s_w and accumulated in float32.
// Layout (as VNNI-style int8 kernels): a B panel holds 16 weight rows as [K/4 steps][16 columns][4 bytes], so one
// 32-byte load is 8 columns × 4 consecutive k; A's 4-byte groups are broadcast. Per step and row, vpmaddubsw(|a|,
// sign(w, a)) then vpmaddwd(·, 1) gives the 8 columns' 4-term sums in int32 lanes: 4 vector ops per 32 products where
// float32 needs 4 FMAs, and no horizontal sums. |a| and a are both packed so the kernel broadcasts them, not computes.
// Micro-kernel 4 rows × 16 columns: 8 int32 accumulators per 32-value block; the float tile lives in C (L1).
// On the wide path (KernelDispatch: AVX-512 machines, which all have VNNI) with AVX-VNNI, one vpdpbusd(acc, |a|,
// sign(w, a)) replaces vpmaddubsw + vpmaddwd + vpaddd: 2 ops per 32 products instead of 4, and the same exact int32 sums
// (vpmaddubsw's int16 pairs cannot saturate here: 2·127·128 < 32768). .NET 10 exposes vpdpbusd only on xmm/ymm
// (AvxVnni); the zmm form of AVX512_VNNI has no API (AvxVnniInt8.V512 is AVX10.2's signed×signed vpdpbssd, which Zen 5
// lacks), so the int8 kernel stays 256 bits wide.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class GemmQ8
{
    internal const int MR = 4, NR = 16, KC = 1024, MC = 384;
    private const int Steps = Q8.BlockSize / 4;  // 4-byte steps per block

    /// <summary>C[i, j] (+)= Σ_k q(A)[i, k]·W[j, k] (+ bias[j]): A [M, K] float32 (lda), quantised per block of 32 like
    /// <see cref="Q8.Quantize"/>; W [N, K] as Q8 values [N·K] and scales [N·K/32]; K a multiple of 32. Needs AVX2
    /// (<see cref="IsSupported"/>); the result equals <see cref="Q8.ForwardNaive"/> up to float32 summation order.</summary>
    public static void MultiplyTransB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the int8 GEMM needs AVX2");
        if (m < 0 || n < 0 || k < 0 || k % Q8.BlockSize != 0 || lda < k || ldc < n
            || a.Length < (m == 0 ? 0 : (long)(m - 1) * lda + k) || values.Length < (long)n * k || scales.Length < (long)n * k / Q8.BlockSize
            || c.Length < (m == 0 ? 0 : (long)(m - 1) * ldc + n) || (!bias.IsEmpty && bias.Length < n))
            throw new ArgumentException(
                $"Q8 GEMM shapes: M {m}, N {n}, K {k} (K must be a multiple of {Q8.BlockSize}), lda {lda}, ldc {ldc}: A has {a.Length} floats, " +
                $"W {values.Length} values / {scales.Length} scales, C {c.Length}, bias {bias.Length}");
        if (m == 0 || n == 0) return;
        pool ??= WorkerPool.Shared;
        bool parallel = (long)m * n * k >= 1 << 19 && pool.Workers > 1;
        int mc = GemmPasses.BlockSize(m, MC, MR);
        fixed (float* pa = a, pc = c, pbias = bias, pws = scales)
        fixed (sbyte* pw = values)
        {
            var job = Job.ForThisThread;
            job.A = pa; job.Lda = lda; job.C = pc; job.Ldc = ldc;
            job.W = pw; job.WScales = pws;
            job.N = n; job.K = k;
            job.Kc = GemmPasses.BlockSize(k, KC, Q8.BlockSize);  // a Q8 block never straddles two K blocks
            job.Accumulate = accumulate;
            job.Bias = bias.IsEmpty ? null : pbias;
            job.Vnni = KernelDispatch.Width == VectorWidth.Bits512 && AvxVnni.IsSupported;
            job.Ensure(mc, k);
            job.Run(m, mc, parallel, pool);
            job.A = job.C = job.PassA = job.PassC = job.Bias = job.WScales = null;
            job.W = null;
        }
    }

    /// <summary>Whether this machine has the instructions the int8 GEMM uses (AVX2).</summary>
    public static bool IsSupported => Avx2.IsSupported;

    private sealed class Job : GemmPasses
    {
        [ThreadStatic] private static Job? _forThisThread;
        [ThreadStatic] private static int[]? _panel;
        [ThreadStatic] private static float[]? _panelScales;

        public static Job ForThisThread => _forThisThread ??= new Job();

        public float* A, C, Bias, WScales;
        public float* PassA, PassC;  // this pass's first rows of A and C
        public sbyte* W;
        public long Lda;
        public int Ldc, M, N, K, Kc;
        public bool Accumulate;
        public bool Vnni;  // dot products with vpdpbusd (AvxVnni) rather than vpmaddubsw + vpmaddwd

        // The pass's rows of A quantised and packed per micro-panel of 4 rows: [K/4 steps][a r0..r3, |a| r0..r3] as
        // int32 groups of 4 bytes, and the scales [K/32 blocks][4]; rows beyond M are zero.
        private int[] _packedA = [];
        private float[] _packedScales = [];
        private int* _pa;
        private float* _ps;

        public void Ensure(int rows, int k)
        {
            long groups = (long)rows / MR * (k / 4) * 2 * MR;
            if (_packedA.Length < groups)
            {
                _packedA = GC.AllocateArray<int>(checked((int)Math.Max(1, groups)), pinned: true);
                _pa = (int*)Unsafe.AsPointer(ref _packedA[0]);
            }
            long scales = (long)rows * (k / Q8.BlockSize);
            if (_packedScales.Length < scales)
            {
                _packedScales = GC.AllocateArray<float>(checked((int)Math.Max(1, scales)), pinned: true);
                _ps = (float*)Unsafe.AsPointer(ref _packedScales[0]);
            }
        }

        protected override void BeginPass(int i0, int rows)
        {
            PassA = A + i0 * Lda;
            PassC = C + (long)i0 * Ldc;
            M = rows;
        }

        private int* PackedA(int ip, int k0) => _pa + ((long)ip * (K / 4) + k0 / 4) * 2 * MR;

        private float* PackedScales(int ip, int k0) => _ps + ((long)ip * (K / Q8.BlockSize) + k0 / Q8.BlockSize) * MR;

        /// <summary>Quantises this pass's rows of A per block of 32 into the packed layout.</summary>
        protected override void PackA(int part, int parts)
        {
            var (ip0, ip1) = WorkerPool.Share((M + MR - 1) / MR, part, parts);
            for (int ip = ip0; ip < ip1; ip++)
            {
                int rows = Math.Min(MR, M - ip * MR);
                for (int k0 = 0; k0 < K; k0 += Q8.BlockSize)
                    QuantizeBlock(PassA + (long)ip * MR * Lda + k0, Lda, rows, PackedA(ip, k0), PackedScales(ip, k0));
            }
        }

        protected override void Multiply(int part, int parts)
        {
            var (p0, p1) = WorkerPool.Share((N + NR - 1) / NR, part, parts);
            if (p0 >= p1) return;
            _panel ??= GC.AllocateArray<int>(KC / 4 * NR, pinned: true);
            _panelScales ??= GC.AllocateArray<float>(KC / Q8.BlockSize * NR, pinned: true);
            int* panel = (int*)Unsafe.AsPointer(ref _panel[0]);
            float* panelScales = (float*)Unsafe.AsPointer(ref _panelScales[0]);
            float* tile = stackalloc float[MR * NR];
            int micro = (M + MR - 1) / MR;
            long blocksPerRow = K / Q8.BlockSize;
            float* biasTile = stackalloc float[NR];
            if (K == 0)
                for (int p = p0; p < p1; p++)
                {
                    int j0 = p * NR, nr = Math.Min(NR, N - j0);
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < nr; j++)
                            PassC[(long)i * Ldc + j0 + j] = (Accumulate ? PassC[(long)i * Ldc + j0 + j] : 0f) + (Bias != null ? Bias[j0 + j] : 0f);
                }
            for (int k0 = 0; k0 < K; k0 += Kc)
            {
                int kc = Math.Min(Kc, K - k0), blocks = kc / Q8.BlockSize;
                for (int p = p0; p < p1; p++)
                {
                    int j0 = p * NR, nr = Math.Min(NR, N - j0);
                    bool load = Accumulate || k0 > 0;
                    float* bias = null;
                    if (k0 == 0 && Bias != null)
                    {
                        for (int j = 0; j < NR; j++) biasTile[j] = j < nr ? Bias[j0 + j] : 0f;
                        bias = biasTile;
                    }
                    // Rows of int8 weights, read 4 bytes at a time, transpose like floats: panel[step·16 + column].
                    Gemm.PackB((float*)(W + (long)j0 * K + k0), 1, K / 4, kc / 4, nr, NR, (float*)panel);
                    for (int b = 0; b < blocks; b++)
                        for (int j = 0; j < NR; j++)
                            panelScales[b * NR + j] = j < nr ? WScales[(j0 + j) * blocksPerRow + k0 / Q8.BlockSize + b] : 0f;
                    // Prefetch what the next panel packs while this one is in use (weight rows come from DRAM).
                    int pn = p + 1 < p1 ? p + 1 : p0, kn = p + 1 < p1 ? k0 : k0 + kc;
                    int rowsNext = kn < K ? Math.Min(NR, N - pn * NR) : 0, lines = (Math.Min(Kc, K - kn) + 63) / 64;
                    for (int ip = 0; ip < micro; ip++)
                    {
                        for (int line = ip * rowsNext * lines / micro, stop = (ip + 1) * rowsNext * lines / micro; line < stop; line++)
                            Sse.Prefetch0(W + (long)(pn * NR + line / lines) * K + kn + line % lines * 64);
                        int mr = Math.Min(MR, M - ip * MR);
                        float* c = PassC + (long)ip * MR * Ldc + j0;
                        if (ip + 1 < micro)
                            for (int r = 0; r < MR; r++)
                            {
                                // The next tile's C rows, far away in L3, which its first block adds into.
                                Sse.Prefetch0(c + (MR + r) * Ldc);
                                Sse.Prefetch0(c + (MR + r) * Ldc + NR - 1);
                            }
                        if (mr == MR && nr == NR)
                        {
                            Kernel(PackedA(ip, k0), PackedScales(ip, k0), panel, panelScales, blocks, c, Ldc, load, bias);
                            continue;
                        }
                        for (int r = 0; r < MR; r++)
                            for (int j = 0; j < NR; j++)
                                tile[r * NR + j] = load && r < mr && j < nr ? c[(long)r * Ldc + j] : 0f;
                        Kernel(PackedA(ip, k0), PackedScales(ip, k0), panel, panelScales, blocks, tile, NR, true, bias);
                        for (int r = 0; r < mr; r++)
                            for (int j = 0; j < nr; j++)
                                c[(long)r * Ldc + j] = tile[r * NR + j];
                    }
                }
            }
        }

        private void Kernel(int* a, float* aScales, int* panel, float* panelScales, int blocks, float* c, long ldc, bool load, float* bias)
        {
            if (Vnni) Kernel4x16<VnniDot>(a, aScales, panel, panelScales, blocks, c, ldc, load, bias);
            else Kernel4x16<Avx2Dot>(a, aScales, panel, panelScales, blocks, c, ldc, load, bias);
        }
    }

    /// <summary>acc + the 4-term sums |a|·sign(w, a) per int32 lane: the one step the two int8 kernels differ in (a
    /// struct type argument, so the JIT compiles each kernel with its sequence inlined).</summary>
    internal interface IDot
    {
        static abstract Vector256<int> Add(Vector256<int> acc, Vector256<byte> absA, Vector256<sbyte> signedW);
    }

    /// <summary>AVX2: vpmaddubsw to int16 pairs, vpmaddwd with ones to int32, vpaddd.</summary>
    internal readonly struct Avx2Dot : IDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> absA, Vector256<sbyte> signedW)
            => acc + Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(absA, signedW), Vector256.Create((short)1));
    }

    /// <summary>AVX-VNNI: one vpdpbusd.</summary>
    internal readonly struct VnniDot : IDot
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<int> Add(Vector256<int> acc, Vector256<byte> absA, Vector256<sbyte> signedW)
            => AvxVnni.MultiplyWideningAndAdd(acc, absA, signedW);
    }

    /// <summary>Quantises one block of 32 values in each of rows 0..rows (row stride lda; missing rows are zero) as
    /// <see cref="Q8.Quantize"/> does, and stores it packed: dst[step·8 + r] = 4 int8 of row r, dst[step·8 + 4 + r] = their
    /// absolute values; scales[r] = the row's block scale.</summary>
    private static void QuantizeBlock(float* a, long lda, int rows, int* dst, float* scales)
    {
        var v = stackalloc Vector256<int>[2 * MR];
        for (int r = 0; r < MR; r++)
        {
            if (r >= rows)
            {
                v[r] = v[MR + r] = Vector256<int>.Zero;
                scales[r] = 0;
                continue;
            }
            float* x = a + r * lda;
            var x0 = Vector256.Load(x); var x1 = Vector256.Load(x + 8); var x2 = Vector256.Load(x + 16); var x3 = Vector256.Load(x + 24);
            var max = Vector256.Max(Vector256.Max(Vector256.Abs(x0), Vector256.Abs(x1)), Vector256.Max(Vector256.Abs(x2), Vector256.Abs(x3)));
            float amax = MathF.Max(MathF.Max(MathF.Max(max[0], max[1]), MathF.Max(max[2], max[3])), MathF.Max(MathF.Max(max[4], max[5]), MathF.Max(max[6], max[7])));
            float scale = amax / 127f, inverse = scale == 0 ? 0 : 1 / scale;
            scales[r] = scale;
            var inv = Vector256.Create(inverse);
            // Round half to even, as MathF.Round in Q8.Quantize; |x·inverse| ≤ 127 so the saturating packs never clip.
            var q0 = Avx.ConvertToVector256Int32(x0 * inv); var q1 = Avx.ConvertToVector256Int32(x1 * inv);
            var q2 = Avx.ConvertToVector256Int32(x2 * inv); var q3 = Avx.ConvertToVector256Int32(x3 * inv);
            var bytes = Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(q0, q1), Avx2.PackSignedSaturate(q2, q3));
            // The packs interleave 128-bit lanes: dwords come out as 0 2 4 6 1 3 5 7 of the intended order.
            var ordered = Avx2.PermuteVar8x32(bytes.AsInt32(), Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7));
            v[r] = ordered;
            v[MR + r] = Avx2.Abs(ordered.AsSByte()).AsInt32();
        }
        Gemm.Transpose8x8(v[0].AsSingle(), v[1].AsSingle(), v[2].AsSingle(), v[3].AsSingle(),
            v[4].AsSingle(), v[5].AsSingle(), v[6].AsSingle(), v[7].AsSingle(), (float*)dst, 2 * MR);
    }

    /// <summary>The 4×16 micro-kernel: c[r, 0..16] += Σ_blocks sa[b, r]·sw[b, 0..16]·Σ_{k in block} a[r, k]·w[k, 0..16] over
    /// <paramref name="blocks"/> blocks of 32, from the packed A ([step][8] int32 groups, scales [block][4]) and the packed
    /// panel ([step][16] int32 groups, scales [block][16]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel4x16<TDot>(int* a, float* aScales, int* panel, float* panelScales, int blocks, float* c, long ldc,
        bool load, float* bias) where TDot : struct, IDot
    {
        for (int b = 0; b < blocks; b++, aScales += MR, panelScales += NR)
        {
            Vector256<int> i00 = Vector256<int>.Zero, i01 = i00, i10 = i00, i11 = i00, i20 = i00, i21 = i00, i30 = i00, i31 = i00;
            for (int t = 0; t < Steps; t++, a += 2 * MR, panel += NR)
            {
                var w0 = Vector256.Load(panel).AsSByte();
                var w1 = Vector256.Load(panel + 8).AsSByte();
                var x = Broadcast(a + 0).AsSByte();
                var ax = Broadcast(a + 4).AsByte();
                i00 = TDot.Add(i00, ax, Avx2.Sign(w0, x));
                i01 = TDot.Add(i01, ax, Avx2.Sign(w1, x));
                x = Broadcast(a + 1).AsSByte();
                ax = Broadcast(a + 5).AsByte();
                i10 = TDot.Add(i10, ax, Avx2.Sign(w0, x));
                i11 = TDot.Add(i11, ax, Avx2.Sign(w1, x));
                x = Broadcast(a + 2).AsSByte();
                ax = Broadcast(a + 6).AsByte();
                i20 = TDot.Add(i20, ax, Avx2.Sign(w0, x));
                i21 = TDot.Add(i21, ax, Avx2.Sign(w1, x));
                x = Broadcast(a + 3).AsSByte();
                ax = Broadcast(a + 7).AsByte();
                i30 = TDot.Add(i30, ax, Avx2.Sign(w0, x));
                i31 = TDot.Add(i31, ax, Avx2.Sign(w1, x));
            }
            var s0 = Vector256.Load(panelScales);
            var s1 = Vector256.Load(panelScales + 8);
            // The first block starts from (load ? c : 0) + bias, the others from c.
            bool fresh = b == 0 && !load;
            float* add = b == 0 ? bias : null;
            Accumulate(c, i00, i01, aScales[0], s0, s1, fresh, add);
            Accumulate(c + ldc, i10, i11, aScales[1], s0, s1, fresh, add);
            Accumulate(c + 2 * ldc, i20, i21, aScales[2], s0, s1, fresh, add);
            Accumulate(c + 3 * ldc, i30, i31, aScales[3], s0, s1, fresh, add);
        }
    }

    /// <summary>Four bytes at p in every 32-bit lane: vbroadcastss, a pure load on AMD, where vpbroadcastd from memory
    /// also takes a vector ALU slot (measured ~5 % of the kernel).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Broadcast(int* p) => Vector256.Create(*(float*)p);

    /// <summary>c[0..16] = (fresh ? 0 : c) + (add ?? 0) + sa·(s0|s1)·(d0|d1) for one row of the tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(float* c, Vector256<int> d0, Vector256<int> d1, float sa, Vector256<float> s0, Vector256<float> s1,
        bool fresh, float* add)
    {
        var x = Vector256.Create(sa);
        var o0 = fresh ? Vector256<float>.Zero : Vector256.Load(c);
        var o1 = fresh ? Vector256<float>.Zero : Vector256.Load(c + 8);
        if (add != null)
        {
            o0 += Vector256.Load(add);
            o1 += Vector256.Load(add + 8);
        }
        MatMul.MulAdd(Avx.ConvertToVector256Single(d0), x * s0, o0).Store(c);
        MatMul.MulAdd(Avx.ConvertToVector256Single(d1), x * s1, o1).Store(c + 8);
    }
}
