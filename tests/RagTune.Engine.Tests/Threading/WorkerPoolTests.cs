// The worker pool: every part runs exactly once per dispatch, exceptions come back to the caller, nested dispatches
// run inline, and a dispatch allocates nothing.
using RagTune.Engine.Threading;
using Xunit;

namespace RagTune.Engine.Tests.Threading;

public class WorkerPoolTests
{
    private sealed class Counting(int items) : IParallelWork
    {
        public readonly int[] Hits = new int[items];

        public void Execute(int part, int parts)
        {
            var (start, end) = WorkerPool.Share(Hits.Length, part, parts);
            for (int i = start; i < end; i++) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Fact]
    public void Every_item_runs_once_per_dispatch()
    {
        using var pool = new WorkerPool(3);
        var work = new Counting(1001);
        for (int r = 0; r < 200; r++) pool.Run(work);
        Assert.All(work.Hits, h => Assert.Equal(200, h));
    }

    private sealed class PartLog : IParallelWork
    {
        public readonly int[] Runs = new int[64];
        public int Parts;

        public void Execute(int part, int parts)
        {
            Parts = parts;
            Interlocked.Increment(ref Runs[part]);
        }
    }

    [Fact]
    public void A_dispatch_in_finer_parts_runs_each_of_them_once()
    {
        using var pool = new WorkerPool(3);
        var work = new PartLog();
        pool.Run(work, partsPerWorker: 8);
        Assert.Equal(24, work.Parts);
        Assert.All(work.Runs.Take(24), n => Assert.Equal(1, n));
        Assert.All(work.Runs.Skip(24), n => Assert.Equal(0, n));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Run(work, partsPerWorker: 0));
    }

    [Theory]
    [InlineData(10, 3, 1)]
    [InlineData(10, 3, 4)]
    [InlineData(2, 5, 1)]
    [InlineData(0, 2, 4)]
    public void Shares_cover_the_range_in_aligned_pieces(int count, int workers, int align)
    {
        int next = 0;
        for (int w = 0; w < workers; w++)
        {
            var (s, e) = WorkerPool.Share(count, w, workers, align);
            Assert.Equal(next, s);
            Assert.True(e >= s);
            Assert.True(s % align == 0 || s == count);
            next = e;
        }
        Assert.Equal(count, next);
    }

    private sealed class Throwing : IParallelWork
    {
        public void Execute(int part, int parts)
        {
            if (part == parts - 1) throw new InvalidOperationException("last part failed");
        }
    }

    [Fact]
    public void A_worker_exception_is_rethrown_to_the_caller_and_the_pool_still_works()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<InvalidOperationException>(() => pool.Run(new Throwing()));
        Assert.Equal("last part failed", e.Message);
        var work = new Counting(10);
        pool.Run(work);
        Assert.All(work.Hits, h => Assert.Equal(1, h));
    }

    private sealed class Nested(WorkerPool pool, Counting inner) : IParallelWork
    {
        public int Parts;

        public void Execute(int part, int parts)
        {
            Parts = parts;
            pool.Run(inner);
        }
    }

    [Fact]
    public void A_dispatch_from_inside_a_work_item_runs_inline()
    {
        using var pool = new WorkerPool(2);
        var inner = new Counting(7);
        var outer = new Nested(pool, inner);
        pool.Run(outer);
        Assert.All(inner.Hits, h => Assert.Equal(outer.Parts, h));  // every outer part ran the whole inner work once
    }

    [Fact]
    public void A_dispatch_allocates_nothing()
    {
        using var pool = new WorkerPool(2);
        var work = new Counting(64);
        pool.Run(work);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int r = 0; r < 100; r++) pool.Run(work);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
