// The share of the machine's CPU that other processes used during a measurement, read from /proc as the peer
// scripts in tools/reference/ do, so runs on a contended machine can be recognised and discarded.
namespace RagTune.Bench.Engine;

internal readonly record struct CpuShare(long Total, long Busy, long Own)
{
    public static CpuShare Sample()
    {
        if (!File.Exists("/proc/stat")) return default;
        var v = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        var s = File.ReadAllText("/proc/self/stat");
        var f = s[(s.LastIndexOf(')') + 2)..].Split(' ');
        long total = v.Sum();
        return new CpuShare(total, total - v[3] - v[4], long.Parse(f[11]) + long.Parse(f[12]));
    }

    /// <summary>CPU time the calling thread has used, in seconds (CLOCK_THREAD_CPUTIME_ID, nanosecond resolution).</summary>
    public static double ThreadCpuSeconds()
    {
        var ts = default(TimeSpec);
        return OperatingSystem.IsLinux() && ClockGetTime(3, ref ts) == 0 ? ts.Seconds + ts.Nanoseconds * 1e-9 : double.NaN;
    }

    /// <summary>CPU time of the whole process (every worker, spin-waits included), in seconds (CLOCK_PROCESS_CPUTIME_ID).</summary>
    public static double ProcessCpuSeconds()
    {
        var ts = default(TimeSpec);
        return OperatingSystem.IsLinux() && ClockGetTime(2, ref ts) == 0 ? ts.Seconds + ts.Nanoseconds * 1e-9 : double.NaN;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, ref TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    /// <summary>Fraction of all cores busy with other processes between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static double Others(CpuShare a, CpuShare b) =>
        Math.Max(0, (b.Busy - a.Busy) - (b.Own - a.Own)) / (double)Math.Max(1, b.Total - a.Total);
}
