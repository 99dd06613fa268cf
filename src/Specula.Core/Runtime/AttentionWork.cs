using Specula.Kernels;

namespace Specula.Runtime;

/// <summary>
/// The attention of one layer for a batch, spread over a <see cref="ComputePool"/>: work items are
/// (row, key/value head) pairs taken from an atomic counter; each is computed wholly by one thread with
/// <see cref="Attention.Group"/>, so the result does not depend on the thread count. Reused across calls.
/// </summary>
sealed class AttentionWork : IParallelWork
{
    float[][] _scores; // one buffer per thread: group x context length
    readonly int _scoresLength;
    int _next;

    // Inputs of the current call.
    public KvCache Cache = null!;
    public int Layer;
    public float[] Query = null!;
    public float[] Output = null!;
    /// <summary>Batch rows to compute; row Rows[i]'s output goes to output row i.</summary>
    public int[] Rows = null!;
    public int RowCount;
    public KvBlockTable[] RowTable = null!;
    public int[] VisiblePrefix = null!, ExtraStart = null!, ExtraCount = null!, ExtraRows = null!;
    public int KvHeadCount, GroupSize, HeadSize, ValueSize, QueryStride, OutputStride;
    public float Scale;

    public AttentionWork(int threadCount, int groupSize, int contextLength)
    {
        _scoresLength = groupSize * contextLength;
        _scores = Allocate(threadCount);
    }

    float[][] Allocate(int threadCount)
    {
        var scores = new float[threadCount][];
        for (int t = 0; t < threadCount; t++) scores[t] = new float[_scoresLength];
        return scores;
    }

    public void Run(ComputePool pool)
    {
        _next = 0;
        // The shared pool can be reconfigured with more threads after this runner was built.
        if (pool.ThreadCount > _scores.Length) _scores = Allocate(pool.ThreadCount);
        if (RowCount * KvHeadCount <= 1) Execute(0, 1);
        else pool.Run(this);
    }

    public void Execute(int threadIndex, int threadCount)
    {
        var scores = _scores[threadIndex];
        int total = RowCount * KvHeadCount;
        int groupQuery = GroupSize * HeadSize, groupOutput = GroupSize * ValueSize;
        for (int item = Interlocked.Increment(ref _next) - 1; item < total; item = Interlocked.Increment(ref _next) - 1)
        {
            int i = item / KvHeadCount, kvHead = item % KvHeadCount;
            int r = Rows[i];
            Attention.Group(
                Query.AsSpan(r * QueryStride + kvHead * groupQuery, groupQuery), GroupSize, HeadSize, Scale,
                Cache, RowTable[r], Layer, kvHead, ValueSize,
                VisiblePrefix[r], ExtraRows.AsSpan(ExtraStart[r], ExtraCount[r]),
                scores, Output.AsSpan(i * OutputStride + kvHead * groupOutput, groupOutput));
        }
    }
}
