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
/// Runs one <see cref="RowStep"/> for every row of a batch: on the calling thread alone for at most
/// <see cref="RowsPerItem"/> rows (a decode step, a few drafted tokens: handing them out would cost more than it
/// saves), otherwise over the pool, runs of <see cref="RowsPerItem"/> consecutive rows taken from an atomic
/// counter (self-scheduled: a worker that is not running does not hold anyone up). Each row is computed wholly by one thread with the same operations,
/// so results do not depend on the split. Reused.
/// </summary>
sealed class RowSteps(ModelRunner runner) : IParallelWork
{
    /// <summary>Consecutive rows per item. The cache stores values transposed (one row's value is a column
    /// of its block), so neighbouring rows write the same cache lines: handed out row by row, two threads
    /// fought over every line (the prefill's query/key/value step ran slower on two threads than on one).</summary>
    internal const int RowsPerItem = 16;

    RowStep _step;
    int _layer, _count, _next;

    public void Run(RowStep step, int layer, int count)
    {
        _step = step;
        _layer = layer;
        _count = count;
        _next = 0;
        var pool = ComputePool.Shared;
        if (count <= RowsPerItem || pool.ThreadCount == 1) Execute(0, 1);
        else pool.RunSelfScheduled(this);
    }

    public void Execute(int threadIndex, int threadCount)
    {
        int first;
        while ((first = Interlocked.Add(ref _next, RowsPerItem) - RowsPerItem) < _count)
        {
            int end = Math.Min(first + RowsPerItem, _count);
            for (int row = first; row < end; row++) runner.ApplyRowStep(_step, _layer, row);
        }
    }
}
