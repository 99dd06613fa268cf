using System.Diagnostics;

namespace Specula.Kernels;

/// <summary>
/// One persistent set of worker threads that run an <see cref="IParallelWork"/> together with the calling
/// thread. Workers spin briefly after each operation (operations of a forward pass follow each other within
/// microseconds) and then park, so an idle pool costs nothing. Nothing is allocated per run.
/// <para>Two kinds of operation: <see cref="Run"/> runs the work on every thread, each exactly once, and
/// returns when all have finished (<see cref="Barrier"/> synchronises them inside it).
/// <see cref="RunSelfScheduled"/> is for work that hands out its items itself (an atomic counter): the caller
/// starts at once, a worker joins if it arrives while the operation is open, and once the caller has run out
/// of items it closes the operation and waits only for the workers that joined. A worker the OS has not
/// scheduled (a machine with more threads than cores) then costs nothing, instead of stalling everyone.</para>
/// </summary>
public sealed class ComputePool : IDisposable
{
    static readonly object SharedLock = new();
    static ComputePool? _shared;

    [ThreadStatic] static bool _isPoolWorker;

    // The published operation: generation in the high 32 bits, Closed, and how many workers joined it.
    const long Closed = 1L << 31;
    const long JoinedMask = Closed - 1;

    readonly Thread[] _workers;
    readonly object _runLock = new();
    readonly object _parkLock = new();
    readonly object _doneLock = new();
    int _callerBlocked;
    IParallelWork? _work;
    long _state;
    uint _generation;
    int _finished;
    int _sleepers;
    volatile bool _disposed;
    Exception? _failure;
    int _barrierArrived;
    int _barrierGeneration;
    int _barrierBlocked;

    /// <summary>The pool the kernels use when none is passed explicitly. Created on first use with
    /// <see cref="DefaultThreadCount"/> threads; replace it with <see cref="ConfigureShared"/>.</summary>
    public static ComputePool Shared
    {
        get
        {
            var pool = Volatile.Read(ref _shared);
            if (pool != null) return pool;
            lock (SharedLock) return _shared ??= new ComputePool(DefaultThreadCount);
        }
    }

    /// <summary>The machine's processor count (what <c>--threads</c> defaults to).</summary>
    public static int DefaultThreadCount => Environment.ProcessorCount;

    /// <summary>Replaces the shared pool by one of <paramref name="threadCount"/> threads (the calling
    /// thread counts as one). Call it between operations, not while one runs.</summary>
    public static void ConfigureShared(int threadCount)
    {
        var pool = new ComputePool(threadCount);
        ComputePool? old;
        lock (SharedLock)
        {
            old = _shared;
            _shared = pool;
        }
        old?.Dispose();
    }

    /// <summary>How long an idle worker spins waiting for the next operation before it parks: longer than the
    /// gaps between the operations of a forward pass, so a worker parks only between tokens, and short enough
    /// that it does not burn a core the OS could give to a thread with work (measured on a 2-core machine
    /// shared with other processes: 3 ms of spinning cut two-thread decode speed several times).</summary>
    public TimeSpan SpinTime { get; set; } = TimeSpan.FromMicroseconds(50);

    /// <summary>How long a thread that has done its share spins for the others (the caller at the end of an
    /// operation, anyone at a <see cref="Barrier"/>) before it blocks. Blocking frees its core: with more
    /// runnable threads than cores, a preempted thread of the pool can then run there at once.</summary>
    public TimeSpan CallerSpinTime { get; set; } = TimeSpan.FromMicroseconds(20);

    public int ThreadCount { get; }

    /// <summary>Tests only: while set and not signalled, workers wait here before joining an operation (a
    /// stand-in for workers the OS has not scheduled).</summary>
    internal ManualResetEventSlim? HoldWorkers { get; set; }

    /// <summary>The matrix multiplication state bound to this pool (created on first use).</summary>
    internal MatMulOperation? MatMulOperation { get; set; }

    public ComputePool(int threadCount)
    {
        if (threadCount < 1 || threadCount > 1024)
            throw new ArgumentOutOfRangeException(nameof(threadCount), threadCount, "thread count must be between 1 and 1024");
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            int index = i + 1;
            _workers[i] = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"specula-compute-{index}",
            };
            _workers[i].Start();
        }
    }

    /// <summary>Runs <paramref name="work"/> on every thread of the pool (the caller is thread 0) and returns
    /// when all have finished. An exception thrown by any thread is rethrown here.</summary>
    public void Run(IParallelWork work) => Run(work, selfScheduled: false);

    /// <summary>
    /// Runs <paramref name="work"/>, which takes its items from a shared counter until none are left, on the
    /// caller and on whichever workers join while it is open; returns when the caller is done and every
    /// worker that joined has finished. Workers that arrive later skip it, so the work must not depend on
    /// every thread running (no <see cref="Barrier"/>, no split by thread index). Thread indexes still
    /// identify the thread (per-thread scratch). An exception thrown by any thread is rethrown here.
    /// </summary>
    public void RunSelfScheduled(IParallelWork work) => Run(work, selfScheduled: true);

    void Run(IParallelWork work, bool selfScheduled)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_isPoolWorker)
            throw new InvalidOperationException("ComputePool.Run was called from inside a pool operation");
        lock (_runLock)
        {
            if (_workers.Length == 0)
            {
                work.Execute(0, 1);
                return;
            }
            _work = work;
            _failure = null;
            Volatile.Write(ref _finished, 0);
            // Publish with a full fence, so the sleeper count read next is not older than the new state.
            Interlocked.Exchange(ref _state, (long)++_generation << 32);
            if (Volatile.Read(ref _sleepers) > 0)
                lock (_parkLock) Monitor.PulseAll(_parkLock);

            try
            {
                _isPoolWorker = true;
                work.Execute(0, ThreadCount);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            finally
            {
                _isPoolWorker = false;
            }

            int expected = _workers.Length;
            if (selfScheduled)
            {
                // Close the operation: from now on no worker joins; wait for those that did.
                long state = Volatile.Read(ref _state);
                long seen;
                while ((seen = Interlocked.CompareExchange(ref _state, state | Closed, state)) != state) state = seen;
                expected = (int)(state & JoinedMask);
            }
            WaitForWorkers(expected);
            _work = null;
            if (_failure != null)
                throw new AggregateException("a compute pool operation failed", _failure);
        }
    }

    /// <summary>Spins until <paramref name="expected"/> workers have finished, then blocks until they have.</summary>
    void WaitForWorkers(int expected)
    {
        if (Volatile.Read(ref _finished) == expected) return;
        long spinUntil = Stopwatch.GetTimestamp() + (long)(CallerSpinTime.TotalSeconds * Stopwatch.Frequency);
        int rounds = 0;
        while (Volatile.Read(ref _finished) != expected)
        {
            if ((++rounds & 15) == 0 && Stopwatch.GetTimestamp() > spinUntil)
            {
                lock (_doneLock)
                {
                    // Announce before the last check; a finishing worker reads the flag after its count.
                    Interlocked.Exchange(ref _callerBlocked, 1);
                    while (Volatile.Read(ref _finished) != expected) Monitor.Wait(_doneLock);
                    _callerBlocked = 0;
                }
                return;
            }
            Thread.SpinWait(8);
        }
    }

    /// <summary>Waits until every thread of the running operation has reached this call. Only valid inside
    /// <see cref="IParallelWork.Execute"/> of an operation started with <see cref="Run"/>, and every thread
    /// must call it the same number of times.</summary>
    public void Barrier()
    {
        if (ThreadCount == 1) return;
        int generation = Volatile.Read(ref _barrierGeneration);
        if (Interlocked.Increment(ref _barrierArrived) == ThreadCount)
        {
            _barrierArrived = 0;
            Interlocked.Increment(ref _barrierGeneration);
            if (Volatile.Read(ref _barrierBlocked) != 0)
                lock (_doneLock) Monitor.PulseAll(_doneLock);
            return;
        }
        long spinUntil = Stopwatch.GetTimestamp() + (long)(CallerSpinTime.TotalSeconds * Stopwatch.Frequency);
        int rounds = 0;
        while (Volatile.Read(ref _barrierGeneration) == generation)
        {
            if ((++rounds & 15) == 0 && Stopwatch.GetTimestamp() > spinUntil)
            {
                lock (_doneLock)
                {
                    Interlocked.Increment(ref _barrierBlocked);
                    while (Volatile.Read(ref _barrierGeneration) == generation) Monitor.Wait(_doneLock);
                    Interlocked.Decrement(ref _barrierBlocked);
                }
                return;
            }
            Thread.SpinWait(8);
        }
    }

    void WorkerLoop(int index)
    {
        _isPoolWorker = true;
        uint seen = 0;
        while (true)
        {
            long state = WaitForGeneration(seen);
            if (_disposed) return;
            uint generation = (uint)(state >> 32);
            seen = generation;
            HoldWorkers?.Wait();
            // Join unless the caller already closed this operation (or a newer one replaced it).
            while ((uint)(state >> 32) == generation && (state & Closed) == 0)
            {
                long before = Interlocked.CompareExchange(ref _state, state + 1, state);
                if (before == state)
                {
                    try
                    {
                        _work!.Execute(index, ThreadCount);
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref _failure, e, null);
                    }
                    Interlocked.Increment(ref _finished);
                    if (Volatile.Read(ref _callerBlocked) != 0)
                        lock (_doneLock) Monitor.PulseAll(_doneLock);
                    break;
                }
                state = before;
            }
        }
    }

    /// <summary>Spins until an operation newer than <paramref name="seen"/> is published (parking after
    /// <see cref="SpinTime"/>) and returns the published state.</summary>
    long WaitForGeneration(uint seen)
    {
        long spinUntil = Stopwatch.GetTimestamp() + (long)(SpinTime.TotalSeconds * Stopwatch.Frequency);
        int rounds = 0;
        long state;
        while ((uint)((state = Volatile.Read(ref _state)) >> 32) == seen && !_disposed)
        {
            if ((++rounds & 63) == 0 && Stopwatch.GetTimestamp() > spinUntil)
            {
                lock (_parkLock)
                {
                    Interlocked.Increment(ref _sleepers);
                    while ((uint)(Volatile.Read(ref _state) >> 32) == seen && !_disposed) Monitor.Wait(_parkLock);
                    Interlocked.Decrement(ref _sleepers);
                }
                rounds = 0;
                continue;
            }
            Thread.SpinWait(8);
        }
        return state;
    }

    public void Dispose()
    {
        if (_disposed) return;
        lock (_runLock)
        {
            _disposed = true;
            Interlocked.Exchange(ref _state, (long)++_generation << 32);
            lock (_parkLock) Monitor.PulseAll(_parkLock);
        }
        foreach (var worker in _workers) worker.Join();
    }
}
