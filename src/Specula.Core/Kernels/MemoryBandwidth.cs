using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Specula.Kernels;

/// <summary>
/// Measures the machine's main-memory read bandwidth the way a decode step reads weights: every thread of
/// a <see cref="ComputePool"/> streams its own contiguous share of a buffer far larger than the caches. The
/// best of several passes is reported (the bound decode is compared against).
/// </summary>
public static unsafe class MemoryBandwidth
{
    sealed class ReadWork(byte* buffer, long bytes) : IParallelWork
    {
        public long Checksum;

        public void Execute(int threadIndex, int threadCount)
        {
            long share = bytes / threadCount & ~255L;
            byte* start = buffer + share * threadIndex;
            var a = Vector256<int>.Zero;
            var b = Vector256<int>.Zero;
            for (long i = 0; i < share; i += 128)
            {
                a += Vector256.Load((int*)(start + i)) + Vector256.Load((int*)(start + i + 32));
                b += Vector256.Load((int*)(start + i + 64)) + Vector256.Load((int*)(start + i + 96));
            }
            Interlocked.Add(ref Checksum, Vector256.Sum(a + b));
        }
    }

    /// <returns>Bytes per second.</returns>
    public static double Measure(ComputePool pool, long bufferBytes = 512L << 20, int passes = 5)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (bufferBytes < 1 << 20) throw new ArgumentOutOfRangeException(nameof(bufferBytes), "the buffer must be at least 1 MiB");
        byte* buffer = (byte*)NativeMemory.AlignedAlloc((nuint)bufferBytes, 4096);
        try
        {
            NativeMemory.Fill(buffer, (nuint)bufferBytes, 1);
            var work = new ReadWork(buffer, bufferBytes);
            pool.Run(work); // touch every page once before timing
            double best = 0;
            for (int pass = 0; pass < passes; pass++)
            {
                long start = Stopwatch.GetTimestamp();
                pool.Run(work);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                best = Math.Max(best, (bufferBytes / pool.ThreadCount & ~255L) * pool.ThreadCount / seconds);
            }
            GC.KeepAlive(work.Checksum);
            return best;
        }
        finally
        {
            NativeMemory.AlignedFree(buffer);
        }
    }
}
