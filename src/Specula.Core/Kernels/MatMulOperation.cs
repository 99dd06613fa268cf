using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// The reusable state of <see cref="MatMul"/> on one pool: the converted activations and each thread's
/// decoded weight rows. Phase 1 converts the activation rows: for a few tokens every thread converts all of
/// them into its own copy (cheaper than waiting for the other threads), for more the tokens are spread over the
/// threads and a barrier follows. Phase 2 takes chunks of <see cref="RowsPerChunk"/> output rows (one row tile)
/// from an atomic counter and multiplies them with every token.
/// </summary>
internal sealed unsafe class MatMulOperation : IParallelWork
{
    public const int RowsPerChunk = 16;

    readonly ComputePool _pool;
    readonly object _gate = new();
    readonly QuantizedActivations _activations = new();
    readonly QuantizedActivations?[] _ownActivations;
    readonly DecodedRows?[] _decoded;

    /// <summary>Up to this many tokens each thread converts the activations itself, with no barrier.</summary>
    const int OwnCopyTokenLimit = 4;

    WeightMatrix? _weights;
    float* _x;
    float* _y;
    int _tokens;
    int _chunkCount;
    int _nextChunk;

    public MatMulOperation(ComputePool pool)
    {
        _pool = pool;
        _decoded = new DecodedRows?[pool.ThreadCount];
        _ownActivations = new QuantizedActivations?[pool.ThreadCount];
    }

    public void Run(WeightMatrix w, float* x, int tokens, float* y)
    {
        lock (_gate)
        {
            _weights = w;
            _x = x;
            _y = y;
            _tokens = tokens;
            if (tokens > OwnCopyTokenLimit || _pool.ThreadCount == 1) _activations.Prepare(VecDotType.For(w.Type), tokens, w.Columns);
            _chunkCount = (w.Rows + RowsPerChunk - 1) / RowsPerChunk;
            _nextChunk = 0;
            try
            {
                _pool.Run(this);
            }
            finally
            {
                _weights = null;
                _x = null;
                _y = null;
            }
        }
    }

    public void Execute(int threadIndex, int threadCount)
    {
        var w = _weights!;
        int columns = w.Columns;
        QuantizedActivations x;
        if (_tokens > OwnCopyTokenLimit || threadCount == 1)
        {
            x = _activations;
            for (int t = threadIndex; t < _tokens; t += threadCount)
                ActivationQuantizer.QuantizeRow(new ReadOnlySpan<float>(_x + (long)t * columns, columns), x, t);
            _pool.Barrier();
        }
        else
        {
            x = _ownActivations[threadIndex] ??= new QuantizedActivations();
            x.Prepare(VecDotType.For(w.Type), _tokens, columns);
            for (int t = 0; t < _tokens; t++)
                ActivationQuantizer.QuantizeRow(new ReadOnlySpan<float>(_x + (long)t * columns, columns), x, t);
        }

        if (w.Tiles is { } tiles)
        {
            RunTiles(w, tiles, x);
            return;
        }
        if (_tokens <= FusedTokenLimit && KernelOptions.Use512 && HasFusedKernel(w.Type))
        {
            RunFused(w, x);
            return;
        }

        var decoded = _decoded[threadIndex] ??= new DecodedRows();
        decoded.Prepare(w.Type, columns);
        float** rowPointers = stackalloc float*[DecodedRows.MaxRows];
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunkCount)
        {
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
                        WeightDecoder.Decode(w.Type, source, columns, decoded, k);
                        rowPointers[k] = decoded.Floats(k);
                    }
                }
                for (int t = 0; t < _tokens; t++)
                    DotRows(w.Type, decoded, rowPointers, count, x, t, _y + (long)t * w.Rows + row);
            }
        }
    }

    /// <summary>Q4_0, Q8_0, Q4_K, Q5_K and Q6_K: one chunk is one tile of 16 rows, multiplied with every token.</summary>
    void RunTiles(WeightMatrix w, RowTiles tiles, QuantizedActivations x)
    {
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunkCount)
        {
            int validRows = Math.Min(RowTiles.Rows, w.Rows - chunk * RowTiles.Rows);
            switch (tiles.Type)
            {
                case GgmlType.Q4_K: KMinTileKernels<Q4_KTiles>.Multiply(tiles, chunk, x, 0, _tokens, _y, w.Rows, validRows); break;
                case GgmlType.Q5_K: KMinTileKernels<Q5_KTiles>.Multiply(tiles, chunk, x, 0, _tokens, _y, w.Rows, validRows); break;
                case GgmlType.Q6_K: Q6KTileKernels.Multiply(tiles, chunk, x, 0, _tokens, _y, w.Rows, validRows); break;
                default: TileKernels.Multiply(tiles, chunk, x, 0, _tokens, _y, w.Rows, validRows); break;
            }
        }
    }

    /// <summary>Up to this many tokens, types with a register-decoding kernel skip the scratch: decoding
    /// per token is cheaper than writing and rereading the decoded rows.</summary>
    const int FusedTokenLimit = 3;

    static bool HasFusedKernel(GgmlType type) => type is GgmlType.Q4_1 or GgmlType.F32 or GgmlType.F16 or GgmlType.BF16;

    void RunFused(WeightMatrix w, QuantizedActivations x)
    {
        int chunk;
        while ((chunk = Interlocked.Increment(ref _nextChunk) - 1) < _chunkCount)
        {
            int first = chunk * RowsPerChunk;
            int end = Math.Min(first + RowsPerChunk, w.Rows);
            for (int row = first; row < end; row += DecodedRows.MaxRows)
            {
                int count = Math.Min(DecodedRows.MaxRows, end - row);
                for (int t = 0; t < _tokens; t++)
                {
                    float* y = _y + (long)t * w.Rows + row;
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
    }

    void DotRows(GgmlType type, DecodedRows decoded, float** rowPointers, int count, QuantizedActivations x, int token, float* y)
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
