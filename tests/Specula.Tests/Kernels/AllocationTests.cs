using Specula.Kernels;
using Specula.Tensors;
using Xunit;

namespace Specula.Tests.Kernels;

/// <summary>After warm-up a matrix multiplication allocates nothing, on the calling thread or on any pool
/// worker (each thread's own allocation counter is read, so other tests running meanwhile do not count).</summary>
[Collection(KernelOptionsCollection.Name)]
public class AllocationTests
{
    /// <summary>Reads every pool thread's allocation counter (itself allocation-free).</summary>
    sealed class AllocationProbe(int threads) : IParallelWork
    {
        public readonly long[] PerThread = new long[threads];
        public void Execute(int threadIndex, int threadCount) => PerThread[threadIndex] = GC.GetAllocatedBytesForCurrentThread();
        public long Total()
        {
            long sum = 0;
            foreach (var v in PerThread) sum += v;
            return sum;
        }
    }

    [Theory]
    [InlineData(GgmlType.Q4_0, 1)]
    [InlineData(GgmlType.Q4_K, 1)]
    [InlineData(GgmlType.F16, 1)]
    [InlineData(GgmlType.Q8_0, 8)]
    [InlineData(GgmlType.F16, 8)]
    [InlineData(GgmlType.BF16, 1)]
    public void MatMulAllocatesNothingAfterWarmUp(GgmlType type, int tokens)
    {
        int columns = 512;
        using var w = new TestWeights(type, 64, columns, seed: 3);
        using var pool = new ComputePool(2);
        var probe = new AllocationProbe(pool.ThreadCount);
        var x = TestWeights.RandomActivations(tokens, columns, seed: 4);
        var y = new float[tokens * 64];
        for (int i = 0; i < 5; i++) MatMul.Multiply(w.Matrix, x, tokens, y, pool);
        pool.Run(probe);

        AllocationMeter.EmptyAllocationContexts(); // every thread's counter then counts only real allocations
        pool.Run(probe);
        long before = probe.Total();
        for (int i = 0; i < 100; i++) MatMul.Multiply(w.Matrix, x, tokens, y, pool);
        pool.Run(probe);
        Assert.Equal(0, probe.Total() - before);
    }
}
