using Specula.Kernels;
using Xunit;

namespace Specula.Tests.Kernels;

public class ComputePoolTests
{
    sealed class CountingWork(ComputePool pool, int items) : IParallelWork
    {
        public readonly int[] Hits = new int[items];
        public readonly int[] Threads = new int[pool.ThreadCount];
        public int AfterBarrier;
        int _next = -1;
        int _beforeBarrier;
        public volatile bool BarrierHeld = true;

        public void Execute(int threadIndex, int threadCount)
        {
            Interlocked.Increment(ref Threads[threadIndex]);
            Interlocked.Increment(ref _beforeBarrier);
            pool.Barrier();
            if (Volatile.Read(ref _beforeBarrier) != threadCount) BarrierHeld = false;
            int i;
            while ((i = Interlocked.Increment(ref _next)) < Hits.Length) Interlocked.Increment(ref Hits[i]);
            Interlocked.Increment(ref AfterBarrier);
        }
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(4, false)]
    [InlineData(2, true)]
    [InlineData(4, true)]
    public void EveryThreadRunsEachOperationOnceAndEveryItemIsTakenOnce(int threads, bool blockAtOnce)
    {
        // blockAtOnce: no spinning at all, so every wait (caller, barrier, idle worker) takes the blocking path.
        using var pool = new ComputePool(threads);
        if (blockAtOnce) (pool.SpinTime, pool.CallerSpinTime) = (TimeSpan.Zero, TimeSpan.Zero);
        for (int run = 0; run < 50; run++)
        {
            var work = new CountingWork(pool, 1000);
            pool.Run(work);
            Assert.All(work.Threads, n => Assert.Equal(1, n));
            Assert.All(work.Hits, n => Assert.Equal(1, n));
            Assert.True(work.BarrierHeld);
            Assert.Equal(threads, work.AfterBarrier);
            if (run == 25) Thread.Sleep(5); // let the workers park, then wake them
        }
    }

    sealed class FailingWork : IParallelWork
    {
        public void Execute(int threadIndex, int threadCount)
        {
            if (threadIndex == threadCount - 1) throw new InvalidDataException("boom");
        }
    }

    [Fact]
    public void AnExceptionOnAWorkerReachesTheCaller()
    {
        using var pool = new ComputePool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new FailingWork()));
        Assert.IsType<InvalidDataException>(e.InnerException);
        pool.Run(new CountingWork(pool, 10)); // still usable
    }

    sealed class SelfScheduledWork(int threads, int items) : IParallelWork
    {
        public readonly int[] Hits = new int[items];
        public readonly int[] Threads = new int[threads];
        int _next = -1;

        public void Execute(int threadIndex, int threadCount)
        {
            Interlocked.Increment(ref Threads[threadIndex]);
            int i;
            while ((i = Interlocked.Increment(ref _next)) < Hits.Length) Interlocked.Increment(ref Hits[i]);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void SelfScheduledWorkTakesEveryItemOnceAndNoThreadTwice(int threads)
    {
        using var pool = new ComputePool(threads);
        for (int run = 0; run < 50; run++)
        {
            var work = new SelfScheduledWork(threads, 1000);
            pool.RunSelfScheduled(work);
            Assert.All(work.Hits, n => Assert.Equal(1, n));
            Assert.Equal(1, work.Threads[0]);
            Assert.All(work.Threads, n => Assert.InRange(n, 0, 1));
            if (run == 25) Thread.Sleep(5); // let the workers park, then wake them
        }
        // All-thread operations still reach every thread after self-scheduled ones skipped some.
        var all = new CountingWork(pool, 100);
        pool.Run(all);
        Assert.All(all.Threads, n => Assert.Equal(1, n));
    }

    [Fact]
    public void SelfScheduledWorkDoesNotWaitForAWorkerThatIsNotRunning()
    {
        using var hold = new ManualResetEventSlim(false);
        using var pool = new ComputePool(2) { HoldWorkers = hold };
        for (int run = 0; run < 20; run++)
        {
            var work = new SelfScheduledWork(2, 100);
            pool.RunSelfScheduled(work); // returns although the worker never gets to it
            Assert.All(work.Hits, n => Assert.Equal(1, n));
            Assert.Equal(0, work.Threads[1]);
        }
        hold.Set();
        // Released, the worker runs all-thread operations again.
        var all = new CountingWork(pool, 100);
        pool.Run(all);
        Assert.All(all.Threads, n => Assert.Equal(1, n));
    }

    sealed class FailingSelfScheduledWork : IParallelWork
    {
        public void Execute(int threadIndex, int threadCount) => throw new InvalidDataException("boom");
    }

    [Fact]
    public void AnExceptionInSelfScheduledWorkReachesTheCaller()
    {
        using var pool = new ComputePool(2);
        var e = Assert.Throws<AggregateException>(() => pool.RunSelfScheduled(new FailingSelfScheduledWork()));
        Assert.IsType<InvalidDataException>(e.InnerException);
        var work = new SelfScheduledWork(2, 10);
        pool.RunSelfScheduled(work); // still usable
        Assert.All(work.Hits, n => Assert.Equal(1, n));
    }

    [Fact]
    public void ThreadCountOutOfRangeIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(0));
    }
}
