using System.Diagnostics;

namespace Specula.Kernels;

/// <summary>
/// One persistent set of worker threads that run an <see cref="IParallelWork"/> together with the calling
/// thread. Workers spin briefly after each operation (operations of a forward pass follow each other within
/// microseconds) and then park, so an idle pool costs nothing. <see cref="Run"/> returns when every thread
/// has finished, which is the barrier between operations; <see cref="Barrier"/> synchronises the threads
/// inside one operation. Nothing is allocated per run.
/// </summary>
public sealed class ComputePool : IDisposable
{
    static readonly object SharedLock = new();
    static ComputePool? _shared;

    [ThreadStatic] static bool _isPoolWorker;

    readonly Thread[] _workers;
    readonly object _runLock = new();
    readonly object _parkLock = new();
    IParallelWork? _work;
    long _generation;
    int _pending;
    int _sleepers;
    volatile bool _disposed;
    Exception? _failure;
    int _barrierArrived;
    int _barrierGeneration;

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

    /// <summary>How long an idle worker spins waiting for the next operation before it parks.</summary>
    public TimeSpan SpinTime { get; set; } = TimeSpan.FromMilliseconds(3);

    public int ThreadCount { get; }

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
    public void Run(IParallelWork work)
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
            Volatile.Write(ref _pending, _workers.Length);
            Interlocked.Increment(ref _generation);
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

            var spinner = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spinner.SpinOnce(sleep1Threshold: -1);
            _work = null;
            if (_failure != null)
                throw new AggregateException("a compute pool operation failed", _failure);
        }
    }

    /// <summary>Waits until every thread of the running operation has reached this call. Only valid inside
    /// <see cref="IParallelWork.Execute"/>, and every thread must call it the same number of times.</summary>
    public void Barrier()
    {
        if (ThreadCount == 1) return;
        int generation = Volatile.Read(ref _barrierGeneration);
        if (Interlocked.Increment(ref _barrierArrived) == ThreadCount)
        {
            _barrierArrived = 0;
            Interlocked.Increment(ref _barrierGeneration);
            return;
        }
        var spinner = new SpinWait();
        while (Volatile.Read(ref _barrierGeneration) == generation) spinner.SpinOnce(sleep1Threshold: -1);
    }

    void WorkerLoop(int index)
    {
        _isPoolWorker = true;
        long seen = 0;
        while (true)
        {
            WaitForGeneration(seen);
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            try
            {
                _work!.Execute(index, ThreadCount);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    void WaitForGeneration(long seen)
    {
        long spinUntil = Stopwatch.GetTimestamp() + (long)(SpinTime.TotalSeconds * Stopwatch.Frequency);
        int rounds = 0;
        while (Volatile.Read(ref _generation) == seen && !_disposed)
        {
            if ((++rounds & 63) == 0 && Stopwatch.GetTimestamp() > spinUntil)
            {
                lock (_parkLock)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (Volatile.Read(ref _generation) == seen && !_disposed) Monitor.Wait(_parkLock);
                    Interlocked.Decrement(ref _sleepers);
                }
                return;
            }
            Thread.SpinWait(8);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        lock (_runLock)
        {
            _disposed = true;
            Interlocked.Increment(ref _generation);
            lock (_parkLock) Monitor.PulseAll(_parkLock);
        }
        foreach (var worker in _workers) worker.Join();
    }
}
