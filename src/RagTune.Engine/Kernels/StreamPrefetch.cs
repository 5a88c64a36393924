// Software prefetch for the decode matvecs' weight streams (f32, bf16, Q8). Each output row is one sequential read of a
// weight row, rows back to back, so a worker streams one contiguous range per matrix; the hardware prefetchers follow
// it but stop at every 4 KiB page (the weights live in 4 KiB pages: converted ones in the managed heap, f32/bf16
// checkpoints in the page cache) and ramp up again behind the loads. With a distance set, before each row the kernel
// asks for the cache lines that far ahead of it, one row's length, never past the end of the worker's share.
// OFF by default: on the shared 2-core VM of 2026-12-08 (load 12-25) bench/engine `prefetch` showed no gain that held
// from one run to the next (per-round ratios to off of 0.91-1.12 at 2, 4 and 8 KiB, in all three formats, 1 and 2
// workers; bench/RESULTS.md). RAGTUNE_PREFETCH=BYTES turns it on for a measurement on a quiet machine; read once.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace RagTune.Engine.Kernels;

internal static unsafe class StreamPrefetch
{
    private const int Line = 64;

    /// <summary>Bytes ahead of the row being read that each row's prefetch starts at (settable for the in-process A/B
    /// of bench/engine `prefetch`).</summary>
    public static int Distance { get; set; } =
        int.TryParse(Environment.GetEnvironmentVariable("RAGTUNE_PREFETCH"), out int d) && d >= 0 ? d : 0;

    /// <summary>Prefetches [row + Distance, row + Distance + bytes), clipped to <paramref name="end"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Ahead(void* row, long bytes, void* end)
    {
        if (!Sse.IsSupported || Distance == 0) return;
        byte* p = (byte*)row + Distance, stop = (byte*)end;
        if (p + bytes < stop) stop = p + bytes;
        for (; p < stop; p += Line) Sse.Prefetch0(p);
    }
}
