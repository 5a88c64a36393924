// A fixed set of threads that run one IParallelWork at a time, split by static ranges: the caller is worker 0, the
// others spin briefly on a generation counter and then sleep on a monitor. A dispatch allocates nothing, which is why
// decoding uses this rather than Parallel.For (one task per call, and it serializes when the machine is contended).
using System.Runtime.ExceptionServices;

namespace RagTune.Engine.Threading;

public sealed class WorkerPool : IDisposable
{
    private static readonly Lazy<WorkerPool> LazyShared = new(() => new WorkerPool(Environment.ProcessorCount));

    /// <summary>The process-wide pool, one worker per logical processor (the calling thread included).</summary>
    public static WorkerPool Shared => LazyShared.Value;

    // Spin iterations before a waiting worker goes to sleep: long enough to bridge the gap between the ~170 kernel
    // calls of one decoded token, short enough not to burn a core for long when no token is being computed.
    private const int SpinIterations = 4000;

    private readonly Thread[] _threads;
    private readonly object _gate = new();
    private int _busy;  // 1 while a dispatch runs; not a Monitor, which would let the dispatching thread re-enter
    private IParallelWork? _work;
    private int _generation;
    private int _pending;
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
            int index = i + 1;
            _threads[i] = new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"RagTune worker {index}" };
            _threads[i].Start();
        }
    }

    /// <summary>Threads that share a dispatch, the calling thread included.</summary>
    public int Workers { get; }

    /// <summary>Runs <paramref name="work"/> on every worker and returns when all are done; the first exception thrown by
    /// any worker is rethrown here. A dispatch issued while another is running (another thread, or from inside a work
    /// item) runs all shares on the calling thread instead of waiting.</summary>
    public void Run(IParallelWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Workers == 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (int w = 0; w < Workers; w++) work.Execute(w, Workers);
            return;
        }
        try
        {
            _work = work;
            _failure = null;
            Volatile.Write(ref _pending, Workers - 1);
            Interlocked.Increment(ref _generation);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_gate) Monitor.PulseAll(_gate);
            try
            {
                work.Execute(0, Workers);
            }
            finally
            {
                var spin = new SpinWait();
                while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
                _work = null;
            }
            if (_failure is { } failure) ExceptionDispatchInfo.Capture(failure).Throw();
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Worker <paramref name="worker"/>'s share [start, end) of <paramref name="count"/> items, in whole multiples
    /// of <paramref name="align"/> (the last share takes the remainder).</summary>
    public static (int Start, int End) Share(int count, int worker, int workers, int align = 1)
    {
        int blocks = (count + align - 1) / align;
        int start = (int)((long)blocks * worker / workers) * align;
        int end = (int)((long)blocks * (worker + 1) / workers) * align;
        return (Math.Min(start, count), Math.Min(end, count));
    }

    private void WorkerLoop(int index)
    {
        int seen = 0;
        while (true)
        {
            int spins = 0;
            while (Volatile.Read(ref _generation) == seen && !_disposed)
            {
                if (++spins < SpinIterations)
                {
                    Thread.SpinWait(20);
                    continue;
                }
                lock (_gate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_gate);
                    Interlocked.Decrement(ref _sleepers);
                }
            }
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            try
            {
                _work!.Execute(index, Workers);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Decrement(ref _pending);
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
