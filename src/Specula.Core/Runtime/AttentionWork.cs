using Specula.Kernels;

namespace Specula.Runtime;

/// <summary>
/// The attention of one layer for a batch, spread over a <see cref="ComputePool"/> (self-scheduled): work items
/// are (row, key/value head) pairs taken from an atomic counter, each computed by one thread with
/// <see cref="Attention.Group"/> (F32 cache) or <see cref="BlockwiseAttention.Group"/> (F16 cache). When there are few items per thread (a decode step of a model with few
/// key/value heads), each group of query heads is split into equal parts, one item each, so the threads end
/// together; a head's result is computed the same way however its group is split, so nothing depends on the
/// thread count. Reused.
/// </summary>
sealed class AttentionWork : IParallelWork
{
    // One per thread, for the cache's type (the other array stays empty).
    Attention.Scratch[] _scratch = [];
    BlockwiseAttention.Scratch[] _blockwiseScratch = [];
    readonly int _groupSize, _contextLength;
    readonly KvCache _cache;
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

    /// <summary>Batch rows from which the F32 kernel stops prefetching: that many queries reread each cache
    /// row while it is still in cache, so prefetching it again per item is pure overhead (on 134m prefill it
    /// cost a fifth of the attention time).</summary>
    const int PrefetchRowLimit = 16;

    /// <param name="cache">The cache attended to; its type picks the kernel, its head sizes size the scratch.</param>
    public AttentionWork(int threadCount, int groupSize, int contextLength, KvCache cache)
    {
        _groupSize = groupSize;
        _contextLength = contextLength;
        _cache = cache;
        Allocate(threadCount);
    }

    int ScratchCount => _cache.Type == KvCacheType.F16 ? _blockwiseScratch.Length : _scratch.Length;

    void Allocate(int threadCount)
    {
        if (_cache.Type == KvCacheType.F16)
        {
            _blockwiseScratch = new BlockwiseAttention.Scratch[threadCount];
            for (int t = 0; t < threadCount; t++)
                _blockwiseScratch[t] = new BlockwiseAttention.Scratch(_groupSize, _cache.KeyLength, _cache.ValueLength);
        }
        else
        {
            _scratch = new Attention.Scratch[threadCount];
            for (int t = 0; t < threadCount; t++) _scratch[t] = new Attention.Scratch(_groupSize, _contextLength);
        }
    }

    public void Run(ComputePool pool)
    {
        _next = 0;
        // The shared pool can be reconfigured with more threads after this runner was built.
        if (pool.ThreadCount > ScratchCount) Allocate(pool.ThreadCount);
        if (Cache != _cache) throw new InvalidOperationException("attention work was sized for another KV cache");
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
        bool blockwise = _cache.Type == KvCacheType.F16;
        int parts = _parts, heads = _headsPerPart;
        int total = RowCount * KvHeadCount * parts;
        for (int item = Interlocked.Increment(ref _next) - 1; item < total; item = Interlocked.Increment(ref _next) - 1)
        {
            int i = item / (KvHeadCount * parts), rest = item % (KvHeadCount * parts);
            int kvHead = rest / parts, part = rest % parts;
            int firstHead = kvHead * GroupSize + part * heads;
            int r = Rows[i];
            var query = Query.AsSpan(r * QueryStride + firstHead * HeadSize, heads * HeadSize);
            var extra = ExtraRows.AsSpan(ExtraStart[r], ExtraCount[r]);
            var output = Output.AsSpan(i * OutputStride + firstHead * ValueSize, heads * ValueSize);
            if (blockwise)
                BlockwiseAttention.Group(query, heads, HeadSize, Scale, Cache, RowTable[r], Layer, kvHead, ValueSize,
                    VisiblePrefix[r], extra, _blockwiseScratch[threadIndex], output);
            else
                Attention.Group(query, heads, HeadSize, Scale, Cache, RowTable[r], Layer, kvHead, ValueSize,
                    VisiblePrefix[r], extra, _scratch[threadIndex], output, prefetch: RowCount < PrefetchRowLimit);
        }
    }
}
