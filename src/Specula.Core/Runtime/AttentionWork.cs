using Specula.Kernels;

namespace Specula.Runtime;

/// <summary>
/// The attention of one layer for a batch, spread over a <see cref="ComputePool"/> (self-scheduled): work items
/// are (row, key/value head) pairs taken from an atomic counter, each computed by one thread with
/// <see cref="Attention.Group"/>. When there are few items per thread (a decode step of a model with few
/// key/value heads), each group of query heads is split into equal parts, one item each, so the threads end
/// together; a head's result is computed the same way however its group is split, so nothing depends on the
/// thread count. Reused.
/// </summary>
sealed class AttentionWork : IParallelWork
{
    Attention.Scratch[] _scratch; // one per thread
    readonly int _groupSize, _contextLength;
    int _next;
    int _parts, _headsPerPart;

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

    /// <summary>Items per thread below which groups are split: enough that the last item taken ends close to
    /// the others, few enough that a key/value row is not reread often.</summary>
    const int ItemsPerThread = 4;

    public AttentionWork(int threadCount, int groupSize, int contextLength)
    {
        _groupSize = groupSize;
        _contextLength = contextLength;
        _scratch = Allocate(threadCount);
    }

    Attention.Scratch[] Allocate(int threadCount)
    {
        var scratch = new Attention.Scratch[threadCount];
        for (int t = 0; t < threadCount; t++) scratch[t] = new Attention.Scratch(_groupSize, _contextLength);
        return scratch;
    }

    public void Run(ComputePool pool)
    {
        _next = 0;
        // The shared pool can be reconfigured with more threads after this runner was built.
        if (pool.ThreadCount > _scratch.Length) _scratch = Allocate(pool.ThreadCount);
        _parts = 1;
        while (pool.ThreadCount > 1 && RowCount * KvHeadCount * _parts < ItemsPerThread * pool.ThreadCount && _parts < GroupSize)
        {
            // Next divisor of the group size.
            int next = _parts + 1;
            while (GroupSize % next != 0) next++;
            _parts = next;
        }
        _headsPerPart = GroupSize / _parts;
        if (RowCount * KvHeadCount * _parts <= 1) Execute(0, 1);
        else pool.RunSelfScheduled(this);
    }

    public void Execute(int threadIndex, int threadCount)
    {
        var scratch = _scratch[threadIndex];
        int parts = _parts, heads = _headsPerPart;
        int total = RowCount * KvHeadCount * parts;
        for (int item = Interlocked.Increment(ref _next) - 1; item < total; item = Interlocked.Increment(ref _next) - 1)
        {
            int i = item / (KvHeadCount * parts), rest = item % (KvHeadCount * parts);
            int kvHead = rest / parts, part = rest % parts;
            int firstHead = kvHead * GroupSize + part * heads;
            int r = Rows[i];
            Attention.Group(
                Query.AsSpan(r * QueryStride + firstHead * HeadSize, heads * HeadSize), heads, HeadSize, Scale,
                Cache, RowTable[r], Layer, kvHead, ValueSize,
                VisiblePrefix[r], ExtraRows.AsSpan(ExtraStart[r], ExtraCount[r]),
                scratch, Output.AsSpan(i * OutputStride + firstHead * ValueSize, heads * ValueSize));
        }
    }
}
