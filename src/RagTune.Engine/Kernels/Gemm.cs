// Cache-blocked SGEMM on AVX-512 or AVX2/FMA: C[M,N] (+)= op(A)·op(B), for prefill (x·Wᵀ) and for training's backward products.
// Entry points over float spans with leading dimensions (row-major, element (r, c) of X at X[r·ldx + c]):
//   MultiplyTransB: C = A·Bᵀ   A [M, K], B [N, K]  — forward of a Linear (B = weight [Out, In]); dX = dY·W uses Multiply
//   Multiply:       C = A·B    A [M, K], B [K, N]  — e.g. dX [T, In] = dY [T, Out] · W [Out, In]
//   MultiplyTransA: C = Aᵀ·B   A [K, M], B [K, N]  — e.g. dW [Out, In] += dYᵀ [Out, T] · X [T, In] (accumulate: true)
// Scheme (as in BLIS/OpenBLAS): M is cut into passes of at most MC rows; per pass A is packed once (in parallel, shared by
// all workers) into 6-row micro-panels, K block by K block, so the micro-kernel's six broadcasts read one contiguous
// L2-resident stream. K is cut into blocks of equal depth ≤ KC; per block each worker packs 16 columns of op(B) at a
// time into a kc×16 panel (≤ 16 KB, stays in L1) and runs the 6×16 micro-kernel (12 ymm accumulators, 2 panel loads
// and 6 memory-operand broadcasts per 12 FMAs; JIT output checked: no spills) down all the pass's rows.
// Where the 512-bit path is active (KernelDispatch) panels are 32 columns wide and the 6×32 micro-kernel runs the same
// schedule on 12 zmm accumulators: twice the FLOPs per instruction (Zen 5 issues two 512-bit FMAs a cycle), the same
// packed A, the same oracle.
// Weights are packed per call, block by block, so they are stored once, row-major as in the checkpoint (the layout
// decode, LoRA merging and the backward products read). While one panel is used the next one's source is prefetched:
// measured at 256×896×4864 (one thread, per second of its CPU time) packing then costs ~2 % (88 vs 90 GFLOP/s with the
// packing skipped), against ~10 % without the prefetch, so a second, pre-packed copy of the weights would not pay.
// B may also be bf16 weights, widened to float32 while packing (so the micro-kernel is the same): not a bottleneck, bf16
// measured as fast as float32 or faster (~95 vs ~92 GFLOP/s, half the weight bytes to stream). Q8_0 weights go to the
// int8 GEMM (GemmQ8.cs), which measured faster than dequantising them into float panels here (~120 vs ~95).
// Training over a frozen reduced-precision base (bf16, q8, GGUF 4-bit blocks: QLoRA) needs the exact products in both
// orientations, X·Wᵀ and dY·W, so there the weight is a WidenedRows source: the packing widens the panel's own rows (X·Wᵀ),
// or a strip of kc rows × one block column shared by the panels inside it (dY·W), into a per-thread scratch of at most
// 256 × 256 floats — never a float copy of W.
// Workers split the N panels; no allocation after a thread's first call (panel and packed-A buffers are per thread).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RagTune.Engine.Threading;

namespace RagTune.Engine.Kernels;

public static unsafe class Gemm
{
    internal const int MR = 6, NR = 16, KC = 256, MC = 384;

    /// <summary>The deepest K one sweep of passes packs (a multiple of <see cref="KC"/>); deeper products run as several.</summary>
    internal const int KSweep = 8192;

    /// <summary>The panel width of the 512-bit path (two zmm registers of floats).</summary>
    internal const int NRWide = 32;

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
            Run(a, lda, 1, default, 1, ldb, c, ldc, m, n, k, accumulate, bias, pool, new Source(pb));
    }

    /// <summary>As <see cref="MultiplyTransB"/> with B [N, K] in Q8_0 blocks (<see cref="Q8"/>): values [N·K] and one
    /// scale per 32 values [N·K/32]; K must be a multiple of 32. The rows of A are quantised per block of 32 as well and
    /// the products taken in int8 (<see cref="GemmQ8"/>), as decoding does (<see cref="Q8.Forward"/>): measured faster
    /// than dequantising the weights into float panels (256×896×4864, one thread: ~107 vs ~95 GFLOP/s per CPU-second).</summary>
    public static void MultiplyTransB(ReadOnlySpan<float> a, int lda, ReadOnlySpan<sbyte> values, ReadOnlySpan<float> scales,
        Span<float> c, int ldc, int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
    {
        if (GemmQ8.IsSupported)
        {
            GemmQ8.MultiplyTransB(a, lda, values, scales, c, ldc, m, n, k, accumulate, bias, pool);
            return;
        }
        // Without AVX2: the row-by-row int8 product, same arithmetic, on dense copies of the rows.
        if (lda != k || ldc != n || accumulate)
            throw new PlatformNotSupportedException("the Q8 GEMM with strided or accumulated operands needs AVX2");
        Q8.Forward(a, values, scales, bias, c, m, k, n, pool);
    }

    /// <summary>As <see cref="MultiplyTransB"/> with B = W [N, K] a frozen bf16 / q8 / GGUF-block weight, widened to
    /// float32 a tile at a time while packing (training's forward X·Wᵀ: exact, where the q8 prefill GEMM rounds X to int8).</summary>
    internal static void MultiplyTransB(ReadOnlySpan<float> a, int lda, WidenedRows b, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate = false, ReadOnlySpan<float> bias = default, WorkerPool? pool = null)
    {
        if (k != b.Cols) throw new ArgumentException($"GEMM over a widened weight: K {k} must be its row length {b.Cols}");
        Run(a, lda, 1, default, 1, b.Cols, c, ldc, m, n, k, accumulate, bias, pool, new Source(b));
    }

    /// <summary>As <see cref="Multiply"/> with B = W [K, N] a frozen bf16 / q8 / GGUF-block weight, widened a strip at a
    /// time while packing (training's input gradient dX = dY·W).</summary>
    internal static void Multiply(ReadOnlySpan<float> a, int lda, WidenedRows b, Span<float> c, int ldc,
        int m, int n, int k, bool accumulate = false, WorkerPool? pool = null)
    {
        if (n != b.Cols) throw new ArgumentException($"GEMM over a widened weight: N {n} must be its row length {b.Cols}");
        Run(a, lda, 1, default, b.Cols, 1, c, ldc, m, n, k, accumulate, default, pool, new Source(b));
    }

    /// <summary>Where op(B) comes from when it is not float32: bf16 bits (row-major [N, K], the prefill path) or a
    /// widened reduced-precision weight.</summary>
    private readonly struct Source
    {
        public readonly ushort* BF16;
        public readonly WidenedRows Rows;

        public Source(ushort* bf16) => BF16 = bf16;

        public Source(WidenedRows rows) => Rows = rows;

        public bool IsSet => BF16 != null || Rows.IsSet;
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
        CheckShapes(a, rsA, csA, source.IsSet ? int.MaxValue : b.Length, rsB, csB, c, ldc, m, n, k, bias);
        if (m == 0 || n == 0) return;
        pool ??= WorkerPool.Shared;
        bool parallel = (long)m * n * k >= 1 << 19 && pool.Workers > 1;
        // Rows of A per pass: the packed block of A (≤ MC × KC) stays in L2 while the B panels stream past it.
        int mc = GemmPasses.BlockSize(m, MC, MR);
        fixed (float* pa = a, pb = b, pc = c, pbias = bias)
        {
            var job = Job.ForThisThread;
            job.RsA = rsA; job.CsA = csA;
            job.RsB = rsB; job.CsB = csB;
            job.C = pc; job.Ldc = ldc; job.N = n;
            job.Nr = KernelDispatch.Width == VectorWidth.Bits512 ? NRWide : NR;
            // A very deep K (the LM head's input gradient dY·W has K = V = 151,936) runs as sweeps of KSweep, each
            // adding into C, so packed A holds mc × KSweep floats (12 MB at most) instead of mc × K (157 MB at 258 rows).
            // A widened weight is swept whole: its source is addressed by absolute K.
            int sweep = source.Rows.IsSet || k <= KSweep ? k : KSweep;
            for (int s0 = 0; s0 < k || s0 == 0; s0 += Math.Max(sweep, 1))
            {
                int ks = Math.Min(sweep, k - s0);
                job.A = pa + (long)s0 * csA;
                job.B = pb + (long)s0 * rsB;
                job.From = source.BF16 != null ? new Source(source.BF16 + s0) : source;   // bf16 B is [N, K]: K along rows
                job.K = ks;
                // A widened weight along K (X·Wᵀ) is cut on its block boundaries.
                int multiple = source.Rows.IsSet && rsB == 1 ? Math.Max(8, source.Rows.BlockWeights) : 8;
                job.Kc = GemmPasses.BlockSize(ks, Math.Max(KC, multiple), multiple);
                job.Accumulate = accumulate || s0 > 0;
                job.Bias = bias.IsEmpty || s0 > 0 ? null : pbias;
                job.EnsurePacked((long)mc * Math.Max(ks, 1));
                job.Run(m, mc, parallel, pool);
            }
            job.A = job.B = job.C = job.PassA = job.PassC = job.Bias = null;
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

    private sealed class Job : GemmPasses
    {
        [ThreadStatic] private static Job? _forThisThread;
        [ThreadStatic] private static float[]? _panel;
        [ThreadStatic] private static float[]? _widened;  // a widened source's rows or strip (≤ 256 × 256 floats)

        public static Job ForThisThread => _forThisThread ??= new Job();

        public float* A, B, C, Bias;
        public float* PassA, PassC;  // this pass's first rows of A and C
        public long RsA, CsA, RsB, CsB;
        public int Ldc, M, N, K, Kc;
        public int Nr;  // panel width: NR (256-bit path) or NRWide (512-bit path)
        public bool Accumulate;
        public Source From;

        // A's rows of one pass, packed: K block by K block (each [⌈M/6⌉ micro-panels][kc][6]), zero rows beyond M.
        private float[] _packedA = [];
        private float* _packed;

        public void EnsurePacked(long floats)
        {
            if (_packedA.Length >= floats) return;
            _packedA = GC.AllocateArray<float>(checked((int)floats), pinned: true);
            _packed = (float*)Unsafe.AsPointer(ref _packedA[0]);
        }

        protected override void BeginPass(int i0, int rows)
        {
            PassA = A + i0 * RsA;
            PassC = C + (long)i0 * Ldc;
            M = rows;
            // Groups are cheap to start (each reads packed A from L2/L3 anyway), so the product runs in finer parts, whole
            // groups each: with 4 parts per thread a part is ~2 ms at 256×896·(4864×896)ᵀ, and one thread's last part
            // while the other waits is what that split lost. Without groups a part reads all of packed A (MBs) once:
            // there the pool's default stays.
            ProductPartsPerWorker = GroupPanels() > 0 ? 8 : 0;
        }

        /// <summary>Panels per group whose C tiles (M × Nr floats each, ~128 KB a group) stay in L2 from one K block to the
        /// next instead of a round trip to L3 per block; each group then reads all of packed A again, which pays while A
        /// stays in L3. Measured (one thread, 256 rows): 256×896·(4864×896)ᵀ 86 → 94 GFLOP/s with groups (A 0.9 MB);
        /// 256×4864·(896×4864)ᵀ 89 → 86 (A 5 MB), hence no groups (0) there.</summary>
        private int GroupPanels()
        {
            int micro = (M + MR - 1) / MR;
            long packedBytes = (long)micro * MR * K * sizeof(float);
            return packedBytes <= 2 << 20 ? Math.Max(1, (128 << 10) / (micro * MR * Nr * sizeof(float))) : 0;
        }

        /// <summary>The packed micro-panel ip (rows 6·ip..6·ip+5) of the K block starting at k0 (kc deep).</summary>
        private float* PackedPanel(int k0, int kc, int ip) => _packed + (long)k0 * RoundUp(M, MR) + (long)ip * MR * kc;

        protected override void PackA(int part, int parts)
        {
            var (ip0, ip1) = WorkerPool.Share((M + MR - 1) / MR, part, parts);
            for (int ip = ip0; ip < ip1; ip++)
                for (int k0 = 0; k0 < K; k0 += Kc)
                {
                    int kc = Math.Min(Kc, K - k0);
                    PackMicroPanel(PassA + ip * MR * RsA + k0 * CsA, RsA, CsA, Math.Min(MR, M - ip * MR), kc, PackedPanel(k0, kc, ip));
                }
        }

        private Lines PanelSource(int p, int k0, int kc)
        {
            int j0 = p * Nr, nr = Math.Min(Nr, N - j0);
            if (kc <= 0 || nr <= 0 || From.Rows.IsSet) return default;
            if (From.BF16 != null) return new(ToBytes(From.BF16 + j0 * CsB + k0), CsB * 2, nr, (kc * 2 + 63) / 64);
            // Rows of a row-major weight (A·Bᵀ), or kc rows of Nr floats (A·B, Aᵀ·B).
            return RsB == 1 ? new(ToBytes(B + j0 * CsB + k0), CsB * 4, nr, (kc * 4 + 63) / 64)
                : new(ToBytes(B + k0 * RsB + j0 * CsB), RsB * 4, kc, (nr * (int)CsB * 4 + 63) / 64);
        }

        /// <summary>Packs panel (k0.., j0..) of a widened weight. X·Wᵀ (K along W's rows): the panel's nr rows of W over
        /// [k0, k0 + kc). dY·W (K down W's rows): a strip of rows k0..k0 + kc over the block column holding [j0, j0 + nr),
        /// widened once for every panel inside it (a 256-weight K-quant block column serves 8 or 16 panels).</summary>
        private void PackWidened(int j0, int nr, int k0, int kc, float* panel, float* scratch, ref int stripK0, ref int stripS0)
        {
            var rows = From.Rows;
            if (RsB == 1)
            {
                for (int j = 0; j < nr; j++) rows.Widen(j0 + j, k0, kc, scratch + j * kc);
                PackB(scratch, 1, kc, kc, nr, Nr, panel);
                return;
            }
            int sw = Math.Max(rows.BlockWeights, Nr), s0 = j0 / sw * sw;
            if (stripK0 != k0 || stripS0 != s0)
            {
                int width = Math.Min(sw, N - s0);
                for (int kk = 0; kk < kc; kk++) rows.Widen(k0 + kk, s0, width, scratch + kk * sw);
                (stripK0, stripS0) = (k0, s0);
            }
            PackB(scratch + (j0 - s0), sw, 1, kc, nr, Nr, panel);
        }

        private void Kernel(float* a, float* panel, int kc, float* c, long ldc, bool load, float* bias)
        {
            if (Nr == NRWide) Kernel6x32(a, panel, kc, c, ldc, load, bias);
            else Kernel6x16(a, panel, kc, c, ldc, load, bias);
        }

        private static byte* ToBytes(void* p) => (byte*)p;

        protected override void Multiply(int part, int parts)
        {
            // A part takes whole groups, so no group is cut short at a part's end (a one-panel group reads all of A too).
            int group = GroupPanels();
            var (p0, p1) = WorkerPool.Share((N + Nr - 1) / Nr, part, parts, Math.Max(group, 1));
            if (p0 >= p1) return;
            if (group == 0) group = p1 - p0;
            // The panel starts on a cache line: the 512-bit kernel loads two full lines of it per step, and a panel
            // straddling lines doubles those loads (the array itself is only 8-byte aligned).
            _panel ??= GC.AllocateArray<float>(KC * NRWide + 16, pinned: true);
            float* panel = AlignToLine((float*)Unsafe.AsPointer(ref _panel[0]));
            float* widened = null;
            int stripK0 = -1, stripS0 = -1;
            if (From.Rows.IsSet)
            {
                _widened ??= GC.AllocateArray<float>(KC * Formats.GgmlTypes.SuperBlock, pinned: true);
                widened = (float*)Unsafe.AsPointer(ref _widened[0]);
            }
            float* tile = stackalloc float[MR * NRWide];
            float* biasTile = stackalloc float[NRWide];
            int micro = (M + MR - 1) / MR;
            for (int g0 = p0; g0 < p1; g0 += group)
            {
                int g1 = Math.Min(p1, g0 + group);
                for (int k0 = 0; k0 < K || k0 == 0; k0 += Math.Max(Kc, 1))
                {
                    int kc = Math.Min(Kc, K - k0);
                    bool load = Accumulate || k0 > 0;
                    for (int p = g0; p < g1; p++)
                    {
                        int j0 = p * Nr, nr = Math.Min(Nr, N - j0);
                        if (From.Rows.IsSet) PackWidened(j0, nr, k0, kc, panel, widened, ref stripK0, ref stripS0);
                        else if (From.BF16 != null) PackBF16(From.BF16 + j0 * CsB + k0, CsB, kc, nr, Nr, panel);
                        else PackB(B + k0 * RsB + j0 * CsB, RsB, CsB, kc, nr, Nr, panel);
                        float* bias = null;
                        if (k0 == 0 && Bias != null)
                        {
                            for (int j = 0; j < Nr; j++) biasTile[j] = j < nr ? Bias[j0 + j] : 0f;
                            bias = biasTile;
                        }
                        // While this panel is in use, prefetch what the next one packs (the next panel of this K block, or
                        // this group's first panel of the next block): weight rows come from DRAM, and waiting for them
                        // when packing cost ~10 % of the time. Into L2 (prefetcht1), as L1 holds the panel and the A
                        // stream: measured ~3 % faster than prefetcht0 at 256×4864·(896×4864)ᵀ, the same elsewhere.
                        var next = p + 1 < g1 ? PanelSource(p + 1, k0, kc)
                            : k0 + kc < K ? PanelSource(g0, k0 + kc, Math.Min(Kc, K - k0 - kc))
                            : g1 < p1 ? PanelSource(g1, 0, Math.Min(Kc, K)) : default;
                        int lineCount = next.Rows * next.LinesPerRow, line = 0, lineRow = 0, lineColumn = 0;
                        for (int ip = 0; ip < micro; ip++)
                        {
                            int mr = Math.Min(MR, M - ip * MR);
                            float* a = PackedPanel(k0, kc, ip);
                            float* c = PassC + (long)ip * MR * Ldc + j0;
                            // The next panel's lines in order, a share per tile, counted without two divisions per line
                            // (with the vectorised edge copy below: this loop's own perf samples went from 16 % to 12 %
                            // of the kernel's at 256×896·(4864×896)ᵀ, 2 workers).
                            for (int stop = (ip + 1) * lineCount / micro; line < stop; line++)
                            {
                                Sse.Prefetch1(next.Start + lineRow * next.Stride + lineColumn * 64);
                                if (++lineColumn == next.LinesPerRow) (lineColumn, lineRow) = (0, lineRow + 1);
                            }
                            if (load && ip + 1 < micro)
                                for (int r = 0; r < MR; r++)
                                {
                                    // The next tile's C rows, which its kernel loads first thing (they are far away in L3).
                                    Sse.Prefetch0(c + (MR + r) * Ldc);
                                    Sse.Prefetch0(c + (MR + r) * Ldc + Nr - 1);
                                }
                            if (mr == MR && nr == Nr)
                            {
                                Kernel(a, panel, kc, c, Ldc, load, bias);
                                continue;
                            }
                            // Edge tile: run the full kernel into a 6×Nr scratch tile (packed A is zero beyond M), keep mr×nr.
                            // Whole rows are copied (vectorised), not element by element with three conditions each:
                            // at 256 rows one tile in 43 is an edge.
                            for (int r = 0; r < MR; r++)
                            {
                                var row = new Span<float>(tile + r * Nr, Nr);
                                if (!load || r >= mr) row.Clear();
                                else
                                {
                                    new ReadOnlySpan<float>(c + (long)r * Ldc, nr).CopyTo(row);
                                    row[nr..].Clear();
                                }
                            }
                            Kernel(a, panel, kc, tile, Nr, true, bias);
                            for (int r = 0; r < mr; r++)
                                new ReadOnlySpan<float>(tile + r * Nr, nr).CopyTo(new Span<float>(c + (long)r * Ldc, nr));
                        }
                    }
                }
            }
        }
    }

    /// <summary>Where the source of panel p for the K block [k0, k0 + kc) lies: rows of bytes, for prefetching.</summary>
    private readonly struct Lines(byte* start, long stride, int rows, int linesPerRow)
    {
        public readonly byte* Start = start;
        public readonly long Stride = stride;
        public readonly int Rows = rows, LinesPerRow = linesPerRow;
    }

    /// <summary>The first 64-byte boundary at or after p (a buffer allocated 16 floats longer keeps its length).</summary>
    private static float* AlignToLine(float* p) => (float*)(((nint)p + 63) & ~(nint)63);

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Packs rows 0..mr of A (A(r, kk) = a[r·rsA + kk·csA]) × kc into dst[kk·6 + r], zero rows beyond mr: the
    /// six values the micro-kernel broadcasts at each step sit side by side.</summary>
    internal static void PackMicroPanel(float* a, long rsA, long csA, int mr, int kc, float* dst)
    {
        int kk = 0;
        if (mr == MR && csA == 1 && Avx.IsSupported)
        {
            // Rows of A contiguous in K: transpose 8 steps of the six rows (plus two zero rows) at a time. Each
            // transposed row is stored 8 wide at a stride of 6, the next store overwriting the two zero lanes; the last
            // group is left to the scalar loop so no store runs past this micro-panel.
            var zero = Vector256<float>.Zero;
            for (; kk + 8 < kc; kk += 8)
                Transpose8x8(Avx.LoadVector256(a + kk), Avx.LoadVector256(a + rsA + kk), Avx.LoadVector256(a + 2 * rsA + kk),
                    Avx.LoadVector256(a + 3 * rsA + kk), Avx.LoadVector256(a + 4 * rsA + kk), Avx.LoadVector256(a + 5 * rsA + kk),
                    zero, zero, dst + kk * MR, MR);
        }
        else if (mr == MR && rsA == 1)
        {
            // Aᵀ: the six values of one step are already contiguous.
            for (; kk < kc; kk++)
            {
                float* s = a + kk * csA;
                float* d = dst + kk * MR;
                Vector128.Store(Vector128.Load(s), d);
                d[4] = s[4];
                d[5] = s[5];
            }
        }
        for (; kk < kc; kk++)
            for (int r = 0; r < MR; r++)
                dst[kk * MR + r] = r < mr ? a[r * rsA + kk * csA] : 0f;
    }

    /// <summary>Packs op(B)[k0.., j0..] (kc × nr, B(k, j) = b[k·rsB + j·csB]) into panel[kk·width + jj], zero beyond
    /// nr; width is the panel width, a multiple of 8 (<see cref="NR"/> or <see cref="NRWide"/>).</summary>
    internal static void PackB(float* b, long rsB, long csB, int kc, int nr, int width, float* panel)
    {
        if (rsB == 1 && nr == width && Avx.IsSupported)
        {
            // Rows of a row-major weight: transpose 8×8 blocks in registers.
            int kk = 0;
            for (; kk + 8 <= kc; kk += 8)
                for (int j = 0; j < width; j += 8)
                    Transpose8x8(b + j * csB + kk, csB, panel + kk * width + j, width);
            for (; kk < kc; kk++)
                for (int j = 0; j < width; j++) panel[kk * width + j] = b[j * csB + kk];
            return;
        }
        if (csB == 1 && nr == width)
        {
            for (int kk = 0; kk < kc; kk++)
                for (int j = 0; j < width; j += 8)
                    Vector256.Store(Vector256.Load(b + kk * rsB + j), panel + kk * width + j);
            return;
        }
        for (int kk = 0; kk < kc; kk++)
            for (int j = 0; j < width; j++)
                panel[kk * width + j] = j < nr ? b[kk * rsB + j * csB] : 0f;
    }

    /// <summary>dst[c·ldd + r] = src[r·lds + c] for an 8×8 block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, long lds, float* dst, long ldd) => Transpose8x8(
        Avx.LoadVector256(src), Avx.LoadVector256(src + lds), Avx.LoadVector256(src + 2 * lds), Avx.LoadVector256(src + 3 * lds),
        Avx.LoadVector256(src + 4 * lds), Avx.LoadVector256(src + 5 * lds), Avx.LoadVector256(src + 6 * lds), Avx.LoadVector256(src + 7 * lds),
        dst, ldd);

    /// <summary>Stores the transpose of the 8×8 block whose rows are r0..r7: dst[c·ldd + r] = r_r[c].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Transpose8x8(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
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

    /// <summary>Packs width (16 or 32) bf16 weight rows (row stride ld) × kc into a float panel, zero rows beyond nr.
    /// Widening here keeps one float micro-kernel for every format. AVX512_BF16's `vdpbf16ps` (bf16 pairs multiplied and
    /// summed into float32) would skip it, but .NET 10 exposes no AVX512_BF16 (no Avx512Bf16 class, and neither Avx10v1
    /// nor Avx10v2 carries the bf16 dot product; checked on runtime 10.0.12), and it would also need A rounded to bf16.
    /// Measured by perf (256×896·(4864×896 bf16)ᵀ, one thread): this packing takes 3–5 % of the kernel's samples; a
    /// 512-bit variant (16 rows × 8 values per step, zmm unpacks and vpermt2ps) was tried and measured no clear gain.</summary>
    private static void PackBF16(ushort* b, long ld, int kc, int nr, int width, float* panel)
    {
        int kk = 0;
        if (nr == width && Avx2.IsSupported)
            for (; kk + 8 <= kc; kk += 8)
                for (int j = 0; j < width; j += 8)
                {
                    ushort* r = b + j * ld + kk;
                    Transpose8x8(Widen(r), Widen(r + ld), Widen(r + 2 * ld), Widen(r + 3 * ld),
                        Widen(r + 4 * ld), Widen(r + 5 * ld), Widen(r + 6 * ld), Widen(r + 7 * ld), panel + kk * width + j, width);
                }
        for (; kk < kc; kk++)
            for (int j = 0; j < width; j++)
                panel[kk * width + j] = j < nr ? BitConverter.Int32BitsToSingle(b[j * ld + kk] << 16) : 0f;
    }

    /// <summary>Eight bf16 values → float32 (a bf16 is the top half of a float32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Widen(ushort* p) => Avx2.ShiftLeftLogical(Avx2.ConvertToVector256Int32(p), 16).AsSingle();

    /// <summary>The 6×16 micro-kernel: c[0..6, 0..16] = (load ? c : 0) + (bias ?? 0) + Σ_kk a[kk·6 + r]·panel[kk·16 + 0..16],
    /// a being a packed micro-panel of A (<see cref="PackMicroPanel"/>) and panel a packed panel of op(B).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x16(float* a, float* panel, int kc, float* c, long ldc, bool load, float* bias)
    {
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
        float* end = a + (long)kc * MR;
        for (; a < end; a += MR, panel += NR)
        {
            var b0 = Vector256.Load(panel);
            var b1 = Vector256.Load(panel + 8);
            var x = Vector256.Create(a[0]);
            c00 = MatMul.MulAdd(x, b0, c00); c01 = MatMul.MulAdd(x, b1, c01);
            x = Vector256.Create(a[1]);
            c10 = MatMul.MulAdd(x, b0, c10); c11 = MatMul.MulAdd(x, b1, c11);
            x = Vector256.Create(a[2]);
            c20 = MatMul.MulAdd(x, b0, c20); c21 = MatMul.MulAdd(x, b1, c21);
            x = Vector256.Create(a[3]);
            c30 = MatMul.MulAdd(x, b0, c30); c31 = MatMul.MulAdd(x, b1, c31);
            x = Vector256.Create(a[4]);
            c40 = MatMul.MulAdd(x, b0, c40); c41 = MatMul.MulAdd(x, b1, c41);
            x = Vector256.Create(a[5]);
            c50 = MatMul.MulAdd(x, b0, c50); c51 = MatMul.MulAdd(x, b1, c51);
        }
        c00.Store(c); c01.Store(c + 8);
        c10.Store(c + ldc); c11.Store(c + ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }

    /// <summary>The 6×32 micro-kernel of the 512-bit path: <see cref="Kernel6x16"/> with panels 32 columns wide, 12 zmm
    /// accumulators, 2 panel loads and 6 broadcasts per 12 FMAs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel6x32(float* a, float* panel, int kc, float* c, long ldc, bool load, float* bias)
    {
        Vector512<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (load)
        {
            c00 = Vector512.Load(c); c01 = Vector512.Load(c + 16);
            c10 = Vector512.Load(c + ldc); c11 = Vector512.Load(c + ldc + 16);
            c20 = Vector512.Load(c + 2 * ldc); c21 = Vector512.Load(c + 2 * ldc + 16);
            c30 = Vector512.Load(c + 3 * ldc); c31 = Vector512.Load(c + 3 * ldc + 16);
            c40 = Vector512.Load(c + 4 * ldc); c41 = Vector512.Load(c + 4 * ldc + 16);
            c50 = Vector512.Load(c + 5 * ldc); c51 = Vector512.Load(c + 5 * ldc + 16);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector512<float>.Zero;
        }
        if (bias != null)
        {
            var b0 = Vector512.Load(bias);
            var b1 = Vector512.Load(bias + 16);
            c00 += b0; c10 += b0; c20 += b0; c30 += b0; c40 += b0; c50 += b0;
            c01 += b1; c11 += b1; c21 += b1; c31 += b1; c41 += b1; c51 += b1;
        }
        float* end = a + (long)kc * MR;
        for (; a < end; a += MR, panel += NRWide)
        {
            var b0 = Vector512.Load(panel);
            var b1 = Vector512.Load(panel + 16);
            var x = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(x, b0, c00); c01 = Avx512F.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(x, b0, c10); c11 = Avx512F.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(x, b0, c20); c21 = Avx512F.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(x, b0, c30); c31 = Avx512F.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(x, b0, c40); c41 = Avx512F.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(x, b0, c50); c51 = Avx512F.FusedMultiplyAdd(x, b1, c51);
        }
        c00.Store(c); c01.Store(c + 16);
        c10.Store(c + ldc); c11.Store(c + ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
    }

}
