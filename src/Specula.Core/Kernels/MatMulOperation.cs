using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// The reusable state of <see cref="MatMul"/> on one pool: the converted activations and each thread's
/// decoded weight rows. One operation multiplies the same activations with one to <see cref="MaxMatrices"/>
/// weight matrices (a layer's query, key and value projections share one pass over the pool).
/// <para>Phase 1 converts the activation rows, once per distinct <see cref="VecDotType"/>: for a few tokens
/// every thread converts all of them into its own copy (cheaper than waiting for the other threads), for more
/// the threads take rows from a counter and then wait until all are converted. Phase 2 takes chunks of
/// <see cref="RowsPerChunk"/> output rows (one row tile) of any of the matrices and multiplies them with every
/// token: each thread starts on its own contiguous range of chunks, then helps with the others'. A chunk is
/// computed the same way whichever operation, thread or batch it falls in, so results do not depend on how
/// the matrices are grouped.</para>
/// <para>The operation is self-scheduled (<see cref="ComputePool.RunSelfScheduled"/>): no step needs every
/// thread, so on a machine busy with other processes a worker that is not running costs nothing, where a
/// barrier would stall the caller until the OS runs that worker again.</para>
/// </summary>
internal sealed unsafe class MatMulOperation : IParallelWork
{
    public const int RowsPerChunk = 16;
    public const int MaxMatrices = 3;

    /// <summary>Up to this many tokens each thread converts the activations itself, with no barrier.</summary>
    const int OwnCopyTokenLimit = 4;

    /// <summary>Up to this many tokens, types with a register-decoding kernel skip the scratch: decoding
    /// per token is cheaper than writing and rereading the decoded rows.</summary>
    const int FusedTokenLimit = 3;

    readonly ComputePool _pool;
    readonly object _gate = new();
    readonly QuantizedActivations[] _shared = [new(), new(), new()];
    readonly QuantizedActivations?[][] _own;
    readonly DecodedRows?[] _decoded;
    /// <summary>Per thread, the activations rebiased for the F16 prefill tiles, and the operation they are for.</summary>
    readonly RebiasedActivations?[] _rebiased;
    int _operation;

    readonly WeightMatrix?[] _weights = new WeightMatrix?[MaxMatrices];
    readonly nint[] _outputs = new nint[MaxMatrices];
    /// <summary>Which activation buffer (index into the distinct types) each matrix reads.</summary>
    readonly int[] _activationOf = new int[MaxMatrices];
    readonly GgmlType[] _activationTypes = new GgmlType[MaxMatrices];
    /// <summary>First global chunk of each matrix, and the total after the last.</summary>
    readonly int[] _firstChunk = new int[MaxMatrices + 1];
    int _matrixCount;
    int _activationCount;

    float* _x;
    int _columns;
    int _tokens;
    /// <summary>Per thread, its contiguous range of chunks still to do: the first in the low 32 bits, the end
    /// in the high 32 bits, each range on its own cache line (<see cref="CounterStride"/> longs apart). The owner
    /// takes chunks from the front, threads that are done with their own range take them from the back, so
    /// both read the weights as sequential streams (chunks alternating between threads broke the hardware
    /// prefetcher's streams: half the bandwidth).</summary>
    readonly long[] _ranges;
    const int CounterStride = 8;
    /// <summary>Shared conversion: the next row to take, and how many are done.</summary>
    int _quantizeNext, _quantizeDone;

    public MatMulOperation(ComputePool pool)
    {
        _pool = pool;
        _decoded = new DecodedRows?[pool.ThreadCount];
        _rebiased = new RebiasedActivations?[pool.ThreadCount];
        _own = new QuantizedActivations?[pool.ThreadCount][];
        _ranges = new long[pool.ThreadCount * CounterStride];
    }

    /// <summary>y_i = x · w_iᵀ for the first <paramref name="count"/> pairs; every w_i has
    /// <paramref name="columns"/> columns.</summary>
    public void Run(int count, WeightMatrix w0, nint y0, WeightMatrix? w1, nint y1, WeightMatrix? w2, nint y2,
        float* x, int columns, int tokens)
    {
        lock (_gate)
        {
            _matrixCount = count;
            _operation++;
            _activationCount = 0;
            _x = x;
            _columns = columns;
            _tokens = tokens;
            _weights[0] = w0;
            _weights[1] = w1;
            _weights[2] = w2;
            _outputs[0] = y0;
            _outputs[1] = y1;
            _outputs[2] = y2;
            for (int m = 0; m < count; m++)
            {
                var w = _weights[m]!;
                var type = VecDotType.For(w.Type);
                int found = Array.IndexOf(_activationTypes, type, 0, _activationCount);
                if (found < 0)
                {
                    found = _activationCount++;
                    _activationTypes[found] = type;
                    if (OwnsNoCopies) _shared[found].Prepare(type, tokens, columns);
                }
                _activationOf[m] = found;
                _firstChunk[m + 1] = _firstChunk[m] + (w.Rows + RowsPerChunk - 1) / RowsPerChunk;
            }
            PrepareThreadScratch();
            _quantizeNext = 0;
            _quantizeDone = 0;
            int total = _firstChunk[count], threads = _pool.ThreadCount;
            for (int i = 0; i < threads; i++)
            {
                long first = (long)total * i / threads, end = (long)total * (i + 1) / threads;
                _ranges[i * CounterStride] = first | end << 32;
            }
            try
            {
                // No thread needs another to run: a worker the OS has not scheduled (a busy machine) holds
                // nobody up, the threads that run take its share.
                _pool.RunSelfScheduled(this);
            }
            finally
            {
                Array.Clear(_weights);
                _x = null;
            }
        }
    }

    /// <summary>Sizes every thread's scratch here, on the caller: a worker may join only some operations
    /// (self-scheduled), and its first join must not allocate in the middle of a forward pass.</summary>
    void PrepareThreadScratch()
    {
        for (int i = 0; i < _pool.ThreadCount; i++)
        {
            if (!OwnsNoCopies)
            {
                var own = _own[i] ??= [new(), new(), new()];
                for (int a = 0; a < _activationCount; a++) own[a]!.Prepare(_activationTypes[a], _tokens, _columns);
            }
            for (int m = 0; m < _matrixCount; m++)
            {
                var w = _weights[m]!;
                if (w.Tiles != null) continue;
                if (w.HalfPairs is { } pairs && KernelOptions.Use512)
                {
                    if (UsesRebiased(pairs)) _rebiased[i] ??= new RebiasedActivations();
                }
                else if (!UsesFusedKernel(w)) (_decoded[i] ??= new DecodedRows()).Prepare(w.Type, w.Columns);
            }
        }
    }

    bool UsesFusedKernel(WeightMatrix w) => _tokens <= FusedTokenLimit && KernelOptions.Use512 && HasFusedKernel(w.Type);

    bool OwnsNoCopies => _tokens > OwnCopyTokenLimit || _pool.ThreadCount == 1;

    public void Execute(int threadIndex, int threadCount)
    {
        QuantizedActivations[] activations;
        if (OwnsNoCopies)
        {
            activations = _shared;
            QuantizeShared();
        }
        else
        {
            activations = _own[threadIndex]!;
            for (int a = 0; a < _activationCount; a++)
                for (int t = 0; t < _tokens; t++) Quantize(t, activations[a]);
        }

        // Each thread first works through its own contiguous range of chunks (one sequential stream of weights,
        // which the hardware prefetcher follows), then takes what is left of the others' ranges from their ends.
        int chunk;
        while ((chunk = TakeFront(threadIndex)) >= 0) RunChunk(chunk, activations, threadIndex);
        for (int k = 1; k < threadCount; k++)
        {
            int range = (threadIndex + k) % threadCount;
            while ((chunk = TakeBack(range)) >= 0) RunChunk(chunk, activations, threadIndex);
        }
    }

    /// <summary>The first chunk left in range <paramref name="range"/>, or -1 when it is empty.</summary>
    int TakeFront(int range)
    {
        ref long slot = ref _ranges[range * CounterStride];
        long seen = Volatile.Read(ref slot);
        while (true)
        {
            int first = (int)seen, end = (int)(seen >> 32);
            if (first >= end) return -1;
            long before = Interlocked.CompareExchange(ref slot, (seen & ~0xFFFFFFFFL) | (uint)(first + 1), seen);
            if (before == seen) return first;
            seen = before;
        }
    }

    /// <summary>The last chunk left in range <paramref name="range"/>, or -1 when it is empty.</summary>
    int TakeBack(int range)
    {
        ref long slot = ref _ranges[range * CounterStride];
        long seen = Volatile.Read(ref slot);
        while (true)
        {
            int first = (int)seen, end = (int)(seen >> 32);
            if (first >= end) return -1;
            long before = Interlocked.CompareExchange(ref slot, (uint)first | (long)(end - 1) << 32, seen);
            if (before == seen) return end - 1;
            seen = before;
        }
    }

    void RunChunk(int chunk, QuantizedActivations[] activations, int threadIndex)
    {
        int m = 0;
        while (chunk >= _firstChunk[m + 1]) m++;
        var w = _weights[m]!;
        var x = activations[_activationOf[m]];
        float* y = (float*)_outputs[m];
        int local = chunk - _firstChunk[m];
        if (w.Tiles is { } tiles) RunTile(w, tiles, local, x, y);
        else if (w.HalfPairs is { } pairs && KernelOptions.Use512)
        {
            int first = local * RowsPerChunk;
            float* rebiased = UsesRebiased(pairs) ? _rebiased[threadIndex]!.For(x, _tokens, _operation) : null;
            HalfPairKernels.Multiply(pairs, first, Math.Min(RowsPerChunk, w.Rows - first), x, rebiased, _tokens, y, w.Rows);
        }
        else if (UsesFusedKernel(w)) RunFused(w, local, x, y);
        else RunDecoded(w, local, x, y, _decoded[threadIndex]!);
    }

    bool UsesRebiased(HalfPairRows pairs) => _tokens >= HalfPairKernels.TileTokens && pairs.Type == GgmlType.F16;

    /// <summary>The shared conversion: rows (one token of one activation type) taken from a counter, then a
    /// wait until every row is done. Only threads that took a row are waited for, so a worker that joins late
    /// (or never) holds nobody up.</summary>
    void QuantizeShared()
    {
        int items = _activationCount * _tokens;
        int item;
        while ((item = Interlocked.Increment(ref _quantizeNext) - 1) < items)
        {
            Quantize(item % _tokens, _shared[item / _tokens]);
            Interlocked.Increment(ref _quantizeDone);
        }
        var spin = new SpinWait();
        while (Volatile.Read(ref _quantizeDone) < items) spin.SpinOnce(sleep1Threshold: -1);
    }

    void Quantize(int token, QuantizedActivations into) =>
        ActivationQuantizer.QuantizeRow(new ReadOnlySpan<float>(_x + (long)token * _columns, _columns), into, token);

    /// <summary>Q4_0, Q8_0, Q4_K, Q5_K and Q6_K: one chunk is one tile of 16 rows, multiplied with every token.</summary>
    void RunTile(WeightMatrix w, RowTiles tiles, int tile, QuantizedActivations x, float* y)
    {
        int validRows = Math.Min(RowTiles.Rows, w.Rows - tile * RowTiles.Rows);
        switch (tiles.Type)
        {
            case GgmlType.Q4_K: KMinTileKernels<Q4_KTiles>.Multiply(tiles, tile, x, 0, _tokens, y, w.Rows, validRows); break;
            case GgmlType.Q5_K: KMinTileKernels<Q5_KTiles>.Multiply(tiles, tile, x, 0, _tokens, y, w.Rows, validRows); break;
            case GgmlType.Q6_K: Q6KTileKernels.Multiply(tiles, tile, x, 0, _tokens, y, w.Rows, validRows); break;
            default: TileKernels.Multiply(tiles, tile, x, 0, _tokens, y, w.Rows, validRows); break;
        }
    }

    internal static bool HasFusedKernel(GgmlType type) => type is GgmlType.Q4_1 or GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    void RunFused(WeightMatrix w, int chunk, QuantizedActivations x, float* output)
    {
        int first = chunk * RowsPerChunk;
        int end = Math.Min(first + RowsPerChunk, w.Rows);
        for (int row = first; row < end; row += DecodedRows.MaxRows)
        {
            int count = Math.Min(DecodedRows.MaxRows, end - row);
            for (int t = 0; t < _tokens; t++)
            {
                float* y = output + (long)t * w.Rows + row;
                switch (w.Type)
                {
                    case GgmlType.Q4_1:
                        Block32Gemv.Dot<MinFormat, Q4_1Chunk>(w.Data, w.RowBytes, row, count, w.Columns, x, t, y);
                        break;
                    case GgmlType.F32:
                        FloatGemv.Dot<F32Row>(w.Data, w.RowBytes, row, count, w.Columns, x.FloatRow(t), y);
                        break;
                    case GgmlType.F16:
                        FloatGemv.Dot<F16Row>(w.Data, w.RowBytes, row, count, w.Columns, x.FloatRow(t), y);
                        break;
                    case GgmlType.BF16:
                        FloatGemv.Dot<BF16Row>(w.Data, w.RowBytes, row, count, w.Columns, x.FloatRow(t), y);
                        break;
                    default:
                        throw new NotSupportedException($"no register-decoding kernel for {w.Type}");
                }
            }
        }
    }

    /// <summary>The remaining types and widths: groups of four rows decoded once to scratch, then multiplied
    /// with every token.</summary>
    void RunDecoded(WeightMatrix w, int chunk, QuantizedActivations x, float* output, DecodedRows decoded)
    {
        decoded.Prepare(w.Type, w.Columns);
        float** rowPointers = stackalloc float*[DecodedRows.MaxRows];
        int first = chunk * RowsPerChunk;
        int end = Math.Min(first + RowsPerChunk, w.Rows);
        for (int row = first; row < end; row += DecodedRows.MaxRows)
        {
            int count = Math.Min(DecodedRows.MaxRows, end - row);
            for (int k = 0; k < count; k++)
            {
                byte* source = w.Data + (row + k) * w.RowBytes;
                if (w.Type == GgmlType.F32) rowPointers[k] = (float*)source;
                else
                {
                    WeightDecoder.Decode(w.Type, source, w.Columns, decoded, k);
                    rowPointers[k] = decoded.Floats(k);
                }
            }
            for (int t = 0; t < _tokens; t++)
                DotRows(w.Type, decoded, rowPointers, count, x, t, output + (long)t * w.Rows + row);
        }
    }

    static void DotRows(GgmlType type, DecodedRows decoded, float** rowPointers, int count, QuantizedActivations x, int token, float* y)
    {
        switch (type)
        {
            case GgmlType.F32 or GgmlType.F16 or GgmlType.BF16:
                FloatKernels.Dot(rowPointers, count, x.Columns, x.FloatRow(token), y);
                break;
            case GgmlType.Q5_0: Block32Kernels.Dot<Q5_0Format>(decoded, count, x, token, y); break;
            case GgmlType.Q4_1 or GgmlType.Q5_1: Block32Kernels.Dot<MinFormat>(decoded, count, x, token, y); break;
            case GgmlType.Q3_K: KQuantKernels.Dot<Q3_KFormat>(decoded, count, x, token, y); break;
            case GgmlType.Q2_K: KQuantKernels.Dot<KWithMinFormat>(decoded, count, x, token, y); break;
            default: throw new NotSupportedException($"no kernel for {type}");
        }
    }
}
