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
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void EveryThreadRunsEachOperationOnceAndEveryItemIsTakenOnce(int threads)
    {
        using var pool = new ComputePool(threads);
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

    [Fact]
    public void ThreadCountOutOfRangeIsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ComputePool(0));
    }
}
