using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Specula.Kernels;

/// <summary>
/// Measures the machine's main-memory read bandwidth: the best rate at which every thread of a
/// <see cref="ComputePool"/> can stream its own contiguous share of a buffer far larger than the caches. It is
/// the bound decode is compared against, so it must be an upper bound for any engine: several read patterns
/// are timed and the fastest pass of any of them is reported.
/// <list type="bullet">
/// <item>one stream per thread, the widest loads, four independent accumulators, 512 bytes per iteration;</item>
/// <item>four streams per thread (four quarters of its share read side by side: more misses in flight for
/// the hardware prefetcher);</item>
/// <item>one stream with software prefetches 2 KiB ahead.</item>
/// </list>
/// The buffer is 2 MiB aligned and on transparent huge pages (as the row-tiled weights are), written once
/// and read once untimed, so no pass pays page faults or TLB misses that the weights do not. On a virtual
/// machine the rate moves with the neighbours' load, so benchmarks keep a <see cref="Probe"/> and measure
/// between their runs.
/// </summary>
public static unsafe class MemoryBandwidth
{
    /// <summary>The read patterns timed (see the class summary).</summary>
    public enum Pattern { OneStream, FourStreams, Prefetched }

    const int PatternCount = 3;

    /// <summary>Bytes one iteration of every pattern reads per stream; shares are multiples of four of these.</summary>
    const int Step = 512;
    const int PrefetchDistance = 2048;

    sealed class ReadWork(byte* buffer, long bytes) : IParallelWork
    {
        public Pattern Pattern;
        public long Checksum;

        /// <summary>Bytes each thread reads (the same for all patterns).</summary>
        public long Share(int threadCount) => bytes / threadCount / ShareUnit * ShareUnit;

        public void Execute(int threadIndex, int threadCount)
        {
            long share = Share(threadCount);
            byte* start = buffer + share * threadIndex;
            Interlocked.Add(ref Checksum, Read(Pattern, start, share));
        }
    }

    /// <summary>Reads <paramref name="bytes"/> (a multiple of <see cref="ShareUnit"/>) from
    /// <paramref name="start"/> with <paramref name="pattern"/> and returns the sum of the bytes read as int32
    /// lanes (wrapping), so the reads cannot be optimised away.</summary>
    internal static long Read(Pattern pattern, byte* start, long bytes)
    {
        if (bytes % ShareUnit != 0) throw new ArgumentException($"{bytes} bytes is not a multiple of {ShareUnit}", nameof(bytes));
        return pattern switch
        {
            Pattern.FourStreams => ReadFour(start, bytes / 4),
            Pattern.Prefetched => ReadOne(start, bytes, prefetch: true),
            _ => ReadOne(start, bytes, prefetch: false),
        };
    }

    internal const int ShareUnit = 4 * Step;

    static long ReadOne(byte* p, long bytes, bool prefetch)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<int> a = default, b = default, c = default, d = default;
            for (long i = 0; i < bytes; i += Step)
            {
                byte* s = p + i;
                if (prefetch && Sse.IsSupported)
                    for (int line = 0; line < Step; line += 64) Sse.Prefetch0(s + PrefetchDistance + line);
                a += Vector512.Load((int*)s) + Vector512.Load((int*)(s + 256));
                b += Vector512.Load((int*)(s + 64)) + Vector512.Load((int*)(s + 320));
                c += Vector512.Load((int*)(s + 128)) + Vector512.Load((int*)(s + 384));
                d += Vector512.Load((int*)(s + 192)) + Vector512.Load((int*)(s + 448));
            }
            return Vector512.Sum(a + b + c + d);
        }
        else
        {
            Vector256<int> a = default, b = default, c = default, d = default;
            for (long i = 0; i < bytes; i += Step)
            {
                byte* s = p + i;
                if (prefetch && Sse.IsSupported)
                    for (int line = 0; line < Step; line += 64) Sse.Prefetch0(s + PrefetchDistance + line);
                for (int half = 0; half < Step; half += 256)
                {
                    a += Vector256.Load((int*)(s + half)) + Vector256.Load((int*)(s + half + 128));
                    b += Vector256.Load((int*)(s + half + 32)) + Vector256.Load((int*)(s + half + 160));
                    c += Vector256.Load((int*)(s + half + 64)) + Vector256.Load((int*)(s + half + 192));
                    d += Vector256.Load((int*)(s + half + 96)) + Vector256.Load((int*)(s + half + 224));
                }
            }
            return Vector256.Sum(a + b + c + d);
        }
    }

    /// <summary>Four streams <paramref name="quarter"/> bytes apart, 128 bytes of each per step.</summary>
    static long ReadFour(byte* p, long quarter)
    {
        byte* p1 = p + quarter, p2 = p1 + quarter, p3 = p2 + quarter;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<int> a = default, b = default, c = default, d = default;
            for (long i = 0; i < quarter; i += 128)
            {
                a += Vector512.Load((int*)(p + i)) + Vector512.Load((int*)(p + i + 64));
                b += Vector512.Load((int*)(p1 + i)) + Vector512.Load((int*)(p1 + i + 64));
                c += Vector512.Load((int*)(p2 + i)) + Vector512.Load((int*)(p2 + i + 64));
                d += Vector512.Load((int*)(p3 + i)) + Vector512.Load((int*)(p3 + i + 64));
            }
            return Vector512.Sum(a + b + c + d);
        }
        else
        {
            Vector256<int> a = default, b = default, c = default, d = default;
            for (long i = 0; i < quarter; i += 64)
            {
                a += Vector256.Load((int*)(p + i)) + Vector256.Load((int*)(p + i + 32));
                b += Vector256.Load((int*)(p1 + i)) + Vector256.Load((int*)(p1 + i + 32));
                c += Vector256.Load((int*)(p2 + i)) + Vector256.Load((int*)(p2 + i + 32));
                d += Vector256.Load((int*)(p3 + i)) + Vector256.Load((int*)(p3 + i + 32));
            }
            return Vector256.Sum(a + b + c + d);
        }
    }

    /// <summary>The best read rate, in bytes per second, of <paramref name="passes"/> timed passes of each
    /// pattern (interleaved, so a slow moment of a shared machine does not hit one pattern only).</summary>
    public static double Measure(ComputePool pool, long bufferBytes = DefaultBufferBytes, int passes = 5)
    {
        using var probe = new Probe(pool, bufferBytes);
        return probe.Measure(passes);
    }

    /// <summary>The best rate of each <see cref="Pattern"/> (indexed by it), in bytes per second.</summary>
    public static double[] MeasureByPattern(ComputePool pool, long bufferBytes = DefaultBufferBytes, int passes = 5)
    {
        using var probe = new Probe(pool, bufferBytes);
        return probe.MeasureByPattern(passes);
    }

    public const long DefaultBufferBytes = 512L << 20;

    /// <summary>
    /// The buffer, kept for repeated measurements: the bandwidth a virtual machine gets changes from minute to
    /// minute with its neighbours' load, so a benchmark measures between its runs and keeps the best
    /// (<see cref="Best"/>), which then bounds every run.
    /// </summary>
    public sealed class Probe : IDisposable
    {
        readonly ComputePool _pool;
        readonly long _bufferBytes;
        byte* _buffer;

        /// <summary>The best rate measured so far by this probe, in bytes per second.</summary>
        public double Best { get; private set; }

        public Probe(ComputePool pool, long bufferBytes = DefaultBufferBytes)
        {
            ArgumentNullException.ThrowIfNull(pool);
            if (bufferBytes < 1 << 20) throw new ArgumentOutOfRangeException(nameof(bufferBytes), "the buffer must be at least 1 MiB");
            _pool = pool;
            _bufferBytes = bufferBytes;
            // Whole huge pages, like the repacked weights the bound is compared with.
            long size = (bufferBytes + StreamingMemory.HugePage - 1) & ~(StreamingMemory.HugePage - 1);
            _buffer = StreamingMemory.Allocate(size);
            NativeMemory.Fill(_buffer, (nuint)size, 1);
            _pool.Run(new ReadWork(_buffer, bufferBytes)); // first read untimed
        }

        /// <summary>The best rate of <paramref name="passes"/> passes of every pattern, bytes per second.</summary>
        public double Measure(int passes = 5)
        {
            double best = 0;
            foreach (double rate in MeasureByPattern(passes)) best = Math.Max(best, rate);
            return best;
        }

        public double[] MeasureByPattern(int passes = 5)
        {
            if (passes < 1) throw new ArgumentOutOfRangeException(nameof(passes), "at least one pass");
            ObjectDisposedException.ThrowIf(_buffer == null, this);
            var work = new ReadWork(_buffer, _bufferBytes);
            long bytesPerPass = work.Share(_pool.ThreadCount) * _pool.ThreadCount;
            var best = new double[PatternCount];
            for (int pass = 0; pass < passes; pass++)
            {
                for (int pattern = 0; pattern < PatternCount; pattern++)
                {
                    work.Pattern = (Pattern)pattern;
                    long start = Stopwatch.GetTimestamp();
                    _pool.Run(work);
                    double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    best[pattern] = Math.Max(best[pattern], bytesPerPass / seconds);
                }
            }
            GC.KeepAlive(work.Checksum);
            foreach (double rate in best) Best = Math.Max(Best, rate);
            return best;
        }

        public void Dispose()
        {
            if (_buffer == null) return;
            NativeMemory.AlignedFree(_buffer);
            _buffer = null;
        }
    }
}
