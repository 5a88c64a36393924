// Which vector width the kernels run at, chosen once per process at run time (the CPU can change from one run to the
// next: a VM moved to another host, a laptop vs a server). 512-bit paths where AVX-512 F/BW/VL are supported and .NET
// reports Vector512 as hardware-accelerated (it does not on CPUs whose 512-bit units throttle the clock), else the
// 256-bit AVX2/FMA paths, else scalar/Vector<T> fallbacks. RAGTUNE_VECTOR_WIDTH=256 forces the 256-bit paths (to
// compare the two, or to run the kernel tests on both; CI does), =512 asks for the 512-bit ones even where .NET does not
// call them accelerated (still only if the instructions exist). Read once, like RAGTUNE_THREADS (WorkerPool.Shared).
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace RagTune.Engine.Kernels;

/// <summary>The vector width of a kernel path, in bits.</summary>
public enum VectorWidth
{
    /// <summary>AVX2 + FMA (8 floats per register); also the label of the scalar fallbacks where AVX2 is missing.</summary>
    Bits256 = 256,

    /// <summary>AVX-512 F/BW/VL (16 floats per register, 32 registers).</summary>
    Bits512 = 512,
}

public static class KernelDispatch
{
    /// <summary>The environment variable that forces a width: "256" or "512".</summary>
    public const string EnvironmentVariable = "RAGTUNE_VECTOR_WIDTH";

    private static readonly Lazy<VectorWidth> LazyWidth = new(() => Choose(Environment.GetEnvironmentVariable(EnvironmentVariable)));

    /// <summary>True when this CPU and runtime can run the 512-bit paths at all.</summary>
    public static bool Supports512 => Avx512F.IsSupported && Avx512BW.IsSupported && Avx512F.VL.IsSupported;

    // Set by Override on one thread (tests run a kernel on both paths side by side without a second process). A kernel
    // reads Width on the calling thread and hands the choice to its workers with the rest of the job.
    [ThreadStatic] private static VectorWidth? _override;

    /// <summary>The width the kernels use in this process (on this thread, while an <see cref="Override"/> is active).</summary>
    public static VectorWidth Width => _override ?? LazyWidth.Value;

    /// <summary>Runs kernels called from this thread at <paramref name="width"/> until the result is disposed (tests and
    /// benchmarks compare the paths in one process this way). 512 where the CPU lacks AVX-512 is refused.</summary>
    public static IDisposable Override(VectorWidth width)
    {
        if (width == VectorWidth.Bits512 && !Supports512)
            throw new PlatformNotSupportedException("the 512-bit kernels need AVX-512 F/BW/VL, which this CPU lacks");
        var previous = _override;
        _override = width;
        return new Restore(previous);
    }

    /// <summary>The widths this machine can run: 256, and 512 where AVX-512 is there (what the kernel tests cover).</summary>
    public static IReadOnlyList<VectorWidth> Available => Supports512 ? [VectorWidth.Bits256, VectorWidth.Bits512] : [VectorWidth.Bits256];

    /// <summary>For a work item on a pool thread: runs the kernels it calls at the width the dispatching thread chose
    /// (<see cref="Width"/> read there), without allocating; hand the result to <see cref="Leave"/> when the item ends.</summary>
    internal static VectorWidth? Enter(VectorWidth width)
    {
        var previous = _override;
        _override = width;
        return previous;
    }

    /// <summary>Ends an <see cref="Enter"/>.</summary>
    internal static void Leave(VectorWidth? previous) => _override = previous;

    private sealed class Restore(VectorWidth? previous) : IDisposable
    {
        public void Dispose() => _override = previous;
    }

    /// <summary>The width for a value of <see cref="EnvironmentVariable"/> (null or empty: the widest accelerated one).
    /// Anything but 256 or 512 is refused with one error naming the variable; 512 on a CPU without AVX-512 too.</summary>
    public static VectorWidth Choose(string? setting)
    {
        switch (setting?.Trim())
        {
            case null or "":
                return Supports512 && Vector512.IsHardwareAccelerated ? VectorWidth.Bits512 : VectorWidth.Bits256;
            case "256":
                return VectorWidth.Bits256;
            case "512" when Supports512:
                return VectorWidth.Bits512;
            case "512":
                throw new PlatformNotSupportedException(
                    $"{EnvironmentVariable}=512, but this CPU (or runtime) has no AVX-512 F/BW/VL; unset it or set 256");
            default:
                throw new ArgumentException($"{EnvironmentVariable} is '{setting}'; expected 256 or 512 (or unset for the widest)");
        }
    }

    /// <summary>One line for logs and benchmarks: the active path and what the CPU offers (the flags every benchmark
    /// table records).</summary>
    public static string Describe()
    {
        string setting = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } s ? $"{EnvironmentVariable}={s}" : $"{EnvironmentVariable} unset";
        string path = Width == VectorWidth.Bits512 ? "512-bit (AVX-512)" : Avx2.IsSupported && Fma.IsSupported ? "256-bit (AVX2/FMA)" : "scalar/Vector<T> fallback";
        return $"{path}; CPU: avx2 {YesNo(Avx2.IsSupported)}, avx512f/bw/vl {YesNo(Supports512)}, " +
            $"avx-vnni {YesNo(AvxVnni.IsSupported)}, Vector512 accelerated {YesNo(Vector512.IsHardwareAccelerated)}; {setting}";
    }

    private static string YesNo(bool value) => value ? "yes" : "no";
}
