using Specula.Kernels;

namespace Specula.Runtime;

/// <summary>The per-row work between the matrix multiplications of a layer (norms, biases, RoPE, cache
/// writes, SwiGLU, residual adds).</summary>
enum RowStep
{
    /// <summary>residual += the previous block's pending projection; normed = attention norm of residual.</summary>
    AttentionInput,
    /// <summary>Q/K/V biases, per-head Q/K norms, RoPE, and the row's keys and values into the cache.</summary>
    QueryKeyValue,
    /// <summary>residual += attention output projection (+ bias); normed = feed-forward norm of residual.</summary>
    FeedForwardInput,
    /// <summary>gate = silu(gate) · up.</summary>
    SwiGlu,
}

/// <summary>
/// Runs one <see cref="RowStep"/> for every row of a batch: on the calling thread alone for a single row (a
/// decode step, where handing it out would cost more than it saves), otherwise over the pool, rows taken from
/// an atomic counter (self-scheduled: a worker that is not running does not hold anyone up). Each row is
/// computed wholly by one thread with the same operations, so results do not depend on the split. Reused.
/// </summary>
sealed class RowSteps(ModelRunner runner) : IParallelWork
{
    RowStep _step;
    int _layer, _count, _next;

    public void Run(RowStep step, int layer, int count)
    {
        _step = step;
        _layer = layer;
        _count = count;
        _next = 0;
        var pool = ComputePool.Shared;
        if (count <= 1 || pool.ThreadCount == 1) Execute(0, 1);
        else pool.RunSelfScheduled(this);
    }

    public void Execute(int threadIndex, int threadCount)
    {
        for (int row = Interlocked.Increment(ref _next) - 1; row < _count; row = Interlocked.Increment(ref _next) - 1)
            runner.ApplyRowStep(_step, _layer, row);
    }
}
