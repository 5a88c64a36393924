// A fixed set of threads that run one IParallelWork at a time, cut into a few static parts per thread. The caller
// works too; each thread claims the next unclaimed part with one compare-and-swap, so a worker that the OS has not
// scheduled (this machine is often shared) delays nothing: the threads that are running take its parts. Idle workers
// spin briefly on the dispatch counter, then sleep on a monitor. A dispatch allocates nothing, which is why decoding
// uses this rather than Parallel.For (one task per call, and it serializes when the machine is contended).
using System.Runtime.ExceptionServices;

namespace RagTune.Engine.Threading;

public sealed class WorkerPool : IDisposable
{
    private static readonly Lazy<WorkerPool> LazyShared = new(() => new WorkerPool(
        int.TryParse(Environment.GetEnvironmentVariable("RAGTUNE_THREADS"), out int n) && n > 0 ? n : Environment.ProcessorCount));

    /// <summary>The process-wide pool: RAGTUNE_THREADS workers if that is set, else one per logical processor (the
    /// calling thread included).</summary>
    public static WorkerPool Shared => LazyShared.Value;

    // Spin iterations before a waiting worker goes to sleep: long enough to bridge the gap between the ~170 kernel
    // calls of one decoded token, short enough not to burn a core for long when no token is being computed.
    private const int SpinIterations = 4000;

    // Parts per thread: more parts balance better when a thread is descheduled, fewer cost fewer claims.
    private const int PartsPerWorker = 4;

    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private IParallelWork? _work;
    private long _state;     // dispatch generation << 32 | next unclaimed part
    private int _parts;
    private int _done;       // parts finished in the current dispatch
    private int _busy;       // 1 while a dispatch runs; not a Monitor, which would let the dispatching thread re-enter
    private int _sleepers;
    private volatile bool _disposed;
    private Exception? _failure;

    public WorkerPool(int workers)
    {
        if (workers < 1) throw new ArgumentOutOfRangeException(nameof(workers), workers, "a pool needs at least one worker");
        Workers = workers;
        _threads = new Thread[workers - 1];
        for (int i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"RagTune worker {i + 1}" };
            _threads[i].Start();
        }
    }

    /// <summary>Threads that share a dispatch, the calling thread included.</summary>
    public int Workers { get; }

    private long _dispatches;

    /// <summary>Dispatches run across the threads so far (each one a barrier): what the decode path keeps low.</summary>
    public long Dispatches => Volatile.Read(ref _dispatches);

    /// <summary>Runs every part of <paramref name="work"/> (a few per thread) and returns when all are done; the first
    /// exception thrown by any part is rethrown here. A dispatch issued while another is running (another thread, or
    /// from inside a work item) runs all its parts on the calling thread instead of waiting.</summary>
    public void Run(IParallelWork work) => Run(work, PartsPerWorker);

    /// <summary>As <see cref="Run(IParallelWork)"/> in <paramref name="partsPerWorker"/> parts per thread: finer parts for
    /// long dispatches whose parts cost little to start (the GEMM's groups of panels), where the last part one thread
    /// still runs while the others wait is what a coarse split loses.</summary>
    public void Run(IParallelWork work, int partsPerWorker)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partsPerWorker, 1);
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Workers == 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int p = 0; p < Workers; p++) work.Execute(p, Workers);
            return;
        }
        try
        {
            Interlocked.Increment(ref _dispatches);
            int parts = Workers * partsPerWorker;
            _work = work;
            _parts = parts;
            _failure = null;
            Volatile.Write(ref _done, 0);
            int generation = (int)(Volatile.Read(ref _state) >> 32) + 1;
            Interlocked.Exchange(ref _state, (long)generation << 32);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);
            RunParts(generation);
            var spin = new SpinWait();
            while (Volatile.Read(ref _done) != parts) spin.SpinOnce(sleep1Threshold: -1);
            _work = null;
            if (_failure is { } failure) ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Part <paramref name="part"/>'s share [start, end) of <paramref name="count"/> items, in whole multiples
    /// of <paramref name="align"/> (the last share takes the remainder).</summary>
    public static (int Start, int End) Share(int count, int part, int parts, int align = 1)
    {
        int blocks = (count + align - 1) / align;
        int start = (int)((long)blocks * part / parts) * align;
        int end = (int)((long)blocks * (part + 1) / parts) * align;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    /// <summary>Claims and runs parts of dispatch <paramref name="generation"/> until none is left. A successful claim
    /// proves the dispatch is still unfinished, so the work and part count read before it belong to it.</summary>
    private void RunParts(int generation)
    {
        while (true)
        {
            long state = Volatile.Read(ref _state);
            if ((int)(state >> 32) != generation) return;
            var work = _work;
            int parts = _parts, part = (int)state;
            if (part >= parts || work is null) return;
            if (Interlocked.CompareExchange(ref _state, state + 1, state) != state) continue;
            try
            {
                work.Execute(part, parts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Increment(ref _done);
        }
    }

    private int Generation => (int)(Volatile.Read(ref _state) >> 32);

    private void WorkerLoop()
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (Generation == seen && !_disposed)
            {
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Generation == seen && !_disposed) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_disposed) return;
            seen = Generation;
            RunParts(seen);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var t in _threads) t.Join();
    }
}
