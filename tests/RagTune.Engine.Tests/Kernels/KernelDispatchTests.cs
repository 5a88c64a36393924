// The run-time choice of vector width: the environment switch's values, its one error for anything else, and the
// per-thread override the kernel tests use to run both paths.
using RagTune.Engine.Kernels;
using Xunit;

namespace RagTune.Engine.Tests.Kernels;

public class KernelDispatchTests
{
    [Fact]
    public void Unset_picks_the_widest_accelerated_path_and_256_forces_avx2()
    {
        var widest = KernelDispatch.Supports512 && System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated
            ? VectorWidth.Bits512 : VectorWidth.Bits256;
        Assert.Equal(widest, KernelDispatch.Choose(null));
        Assert.Equal(widest, KernelDispatch.Choose(""));
        Assert.Equal(VectorWidth.Bits256, KernelDispatch.Choose("256"));
        Assert.Equal(VectorWidth.Bits256, KernelDispatch.Choose(" 256 "));
    }

    [Fact]
    public void The_process_width_follows_the_environment_variable()
    {
        // CI runs the kernel tests a second time with RAGTUNE_VECTOR_WIDTH=256: that run must be on the 256-bit path.
        Assert.Equal(KernelDispatch.Choose(Environment.GetEnvironmentVariable(KernelDispatch.EnvironmentVariable)), KernelDispatch.Width);
        Assert.Contains(KernelDispatch.Width == VectorWidth.Bits512 ? "512-bit" : "256-bit", KernelDispatch.Describe());
    }

    [Fact]
    public void A_bad_value_is_one_error_naming_the_variable()
    {
        var e = Assert.Throws<ArgumentException>(() => KernelDispatch.Choose("avx2"));
        Assert.Contains("RAGTUNE_VECTOR_WIDTH is 'avx2'; expected 256 or 512", e.Message);
        if (KernelDispatch.Supports512) Assert.Equal(VectorWidth.Bits512, KernelDispatch.Choose("512"));
        else Assert.Throws<PlatformNotSupportedException>(() => KernelDispatch.Choose("512"));
    }

    [Fact]
    public void Override_holds_on_this_thread_until_disposed()
    {
        var before = KernelDispatch.Width;
        var scope = KernelDispatch.Override(VectorWidth.Bits256);
        Assert.Equal(VectorWidth.Bits256, KernelDispatch.Width);
        // A thread of its own, joined rather than awaited: an await may resume this test on another pool thread, which
        // would not see this thread's override.
        VectorWidth other = default;
        var thread = new Thread(() => other = KernelDispatch.Width);
        thread.Start();
        thread.Join();
        Assert.Equal(KernelDispatch.Choose(Environment.GetEnvironmentVariable(KernelDispatch.EnvironmentVariable)), other);
        Assert.Equal(VectorWidth.Bits256, KernelDispatch.Width);
        scope.Dispose();
        Assert.Equal(before, KernelDispatch.Width);
    }

    [Fact]
    public void The_512_bit_path_is_offered_exactly_where_the_cpu_has_avx512()
    {
        Assert.Equal(KernelDispatch.Supports512, KernelDispatch.Available.Contains(VectorWidth.Bits512));
        Assert.Contains(VectorWidth.Bits256, KernelDispatch.Available);
        // This VM is an AVX-512 machine (Zen 5): on it both paths must be under test.
        if (File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" avx512bw"))
            Assert.True(KernelDispatch.Supports512, "the CPU reports avx512f/bw but .NET does not expose them");
    }
}
