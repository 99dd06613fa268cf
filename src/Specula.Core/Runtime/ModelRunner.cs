using Specula.Kernels;
using Specula.Models;

namespace Specula.Runtime;

/// <summary>
/// Runs a <see cref="TransformerModel"/> on <see cref="ForwardBatch"/>es against its own <see cref="KvCache"/>.
/// All scratch memory is allocated here, once, for the largest batch, so a forward call allocates nothing.
/// Every per-token step (norms, projections, RoPE, attention over the rows the token may see) is computed
/// row by row in a fixed order, so a token's logits are bit-identical whatever batch it was computed in.
/// Not thread-safe: one forward call at a time.
/// </summary>
public sealed class ModelRunner
{
    readonly ModelConfig _c;
    readonly ForwardBatch _ownBatch;

    // Activations, one row per batch token.
    readonly float[] _residual, _normed, _query, _key, _value, _attention, _gate, _up, _projection, _ropeAngles;
    // Output head inputs and logits, one row per requested row.
    readonly float[] _logitInput, _logits;

    // Per-row bookkeeping of the current batch.
    readonly KvBlockTable[] _rowTable;
    readonly int[] _rowCacheRow, _rowVisiblePrefix, _rowExtraStart, _rowExtraCount, _rowLogitIndex;
    readonly int[] _sequenceStartLength, _sequenceRowBase, _rowsByLocal;
    int[] _extraRows;
    int _lastBatchCount;
    // Rows whose attention and feed-forward a layer computes: every row, or in the last layer only the rows
    // that asked for logits (the others' keys and values are all that later tokens need).
    readonly int[] _allRows, _logitRows;
    readonly AttentionWork _attentionWork;
    readonly RowSteps _rowSteps;
    bool _compacted;
    // The last block's down projection is in _projection, not yet added to the residual stream (the add is
    // fused into the next norm).
    bool _projectionPending;

    public TransformerModel Model { get; }
    public ModelConfig Config => _c;
    public KvCache Cache { get; }
    public int ContextLength { get; }
    public int MaxBatchTokens { get; }
    public int MaxLogitRows { get; }
    public int VocabularySize => _c.VocabularySize;

    public ModelRunner(TransformerModel model, RunnerOptions? options = null)
    {
        options ??= new RunnerOptions();
        Model = model;
        _c = model.Config;
        ContextLength = options.ContextLength > 0 ? options.ContextLength : Math.Min(_c.ContextLength, RunnerOptions.DefaultContextLength);
        if (options.MaxBatchTokens <= 0) throw new ArgumentException($"MaxBatchTokens must be positive, got {options.MaxBatchTokens}");
        MaxBatchTokens = options.MaxBatchTokens;
        MaxLogitRows = options.MaxLogitRows > 0 ? options.MaxLogitRows : Math.Min(MaxBatchTokens, 64);
        int kvTokens = options.KvCacheTokens > 0 ? options.KvCacheTokens : ContextLength;
        Cache = new KvCache(_c.LayerCount, _c.KvHeadCount, _c.KeyLength, _c.ValueLength, kvTokens, ContextLength,
            options.MaxSequences, options.KvBlockSize, options.KvCacheType);

        int n = MaxBatchTokens;
        _residual = new float[n * _c.EmbeddingLength];
        _normed = new float[n * _c.EmbeddingLength];
        _query = new float[n * _c.QueryDimension];
        _key = new float[n * _c.KeyValueDimension];
        _value = new float[n * _c.ValueDimension];
        _attention = new float[n * _c.AttentionOutputDimension];
        _gate = new float[n * _c.FeedForwardLength];
        _up = new float[n * _c.FeedForwardLength];
        _projection = new float[n * _c.EmbeddingLength];
        _ropeAngles = new float[n * _c.RopeDimensionCount];
        _logitInput = new float[MaxLogitRows * _c.EmbeddingLength];
        _logits = new float[(long)MaxLogitRows * _c.VocabularySize];

        _rowTable = new KvBlockTable[n];
        _rowCacheRow = new int[n];
        _rowVisiblePrefix = new int[n];
        _rowExtraStart = new int[n];
        _rowExtraCount = new int[n];
        _rowLogitIndex = new int[n];
        _sequenceStartLength = new int[n];
        _sequenceRowBase = new int[n];
        _rowsByLocal = new int[n];
        _extraRows = new int[Math.Max(n, 64)];
        _ownBatch = new ForwardBatch(n);
        _allRows = new int[n];
        for (int i = 0; i < n; i++) _allRows[i] = i;
        _logitRows = new int[n];
        _attentionWork = new AttentionWork(ComputePool.Shared.ThreadCount, _c.HeadCount / _c.KvHeadCount, ContextLength, Cache);
        _rowSteps = new RowSteps(this);
    }

    /// <summary>Runs the whole model on the batch; afterwards <see cref="Logits"/> gives the requested rows.</summary>
    public void Forward(ForwardBatch batch) => Forward(batch, _c.LayerCount);

    /// <summary>
    /// Runs layers [0, <paramref name="layerCount"/>) and then the final norm and output head (an early-exit
    /// draft when fewer than all layers). The batch's rows are appended to their sequences in the cache with
    /// keys and values for the layers run only; the cache remembers which rows lack the deeper layers, and a
    /// full pass refuses to attend to them. To verify drafted tokens, truncate the sequence back to where the
    /// drafts began and run them through the full model, which fills every layer.
    /// </summary>
    public void Forward(ForwardBatch batch, int layerCount)
    {
        int n = batch.Count;
        if (n == 0) throw new ArgumentException("the batch is empty");
        if (n > MaxBatchTokens) throw new ArgumentException($"the batch has {n} tokens, more than this runner's maximum of {MaxBatchTokens}");
        if (batch.LogitRowCount > MaxLogitRows)
            throw new ArgumentException($"the batch asks for {batch.LogitRowCount} rows of logits, more than this runner's maximum of {MaxLogitRows}");
        if (layerCount < 0 || layerCount > _c.LayerCount)
            throw new ArgumentOutOfRangeException(nameof(layerCount), $"layer count {layerCount} is outside 0..{_c.LayerCount}");

        ReserveCache(batch, layerCount);
        PlanAttention(batch);

        int d = _c.EmbeddingLength;
        var tokens = batch.Tokens;
        var positions = batch.Positions;
        int ropeDims = _c.RopeDimensionCount;
        for (int r = 0; r < n; r++)
        {
            Model.TokenEmbedding.Lookup(tokens[r], _residual.AsSpan(r * d, d));
            Rope.ComputeAngles(positions[r], ropeDims, _c.RopeFreqBase, _c.RopeFreqScale, Model.RopeFrequencyFactors,
                _ropeAngles.AsSpan(r * ropeDims, ropeDims));
        }

        int logitRows = 0;
        var wantsLogits = batch.WantsLogits;
        for (int r = 0; r < n; r++) if (wantsLogits[r]) _logitRows[logitRows++] = r;

        _compacted = false;
        _projectionPending = false;
        for (int layer = 0; layer < layerCount; layer++)
        {
            bool last = layer == layerCount - 1;
            if (last && logitRows < n)
            {
                RunLayer(layer, n, _logitRows, logitRows);
                _compacted = true;
            }
            else RunLayer(layer, n, _allRows, n);
        }

        ComputeLogits(batch);
        _lastBatchCount = n;
    }

    /// <summary>Logits of a row of the last batch that asked for them (valid until the next forward call).</summary>
    public ReadOnlySpan<float> Logits(int row)
    {
        if ((uint)row >= (uint)_lastBatchCount || _rowLogitIndex[row] < 0)
            throw new InvalidOperationException($"row {row} of the last batch did not ask for logits");
        return _logits.AsSpan(_rowLogitIndex[row] * _c.VocabularySize, _c.VocabularySize);
    }

    /// <summary>Appends <paramref name="tokens"/> to a sequence (in chunks of at most MaxBatchTokens) and
    /// returns the logits after the last one.</summary>
    public ReadOnlySpan<float> Prefill(int sequence, scoped ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens to evaluate");
        int row = -1;
        for (int start = 0; start < tokens.Length; start += MaxBatchTokens)
        {
            int count = Math.Min(MaxBatchTokens, tokens.Length - start);
            int position = Cache.Length(sequence);
            _ownBatch.Clear();
            for (int i = 0; i < count; i++)
                row = _ownBatch.Add(sequence, tokens[start + i], position + i, wantsLogits: start + i == tokens.Length - 1);
            Forward(_ownBatch);
        }
        return Logits(row);
    }

    /// <summary>Appends one token to a sequence and returns the logits after it.</summary>
    public ReadOnlySpan<float> Decode(int sequence, int token)
    {
        _ownBatch.Clear();
        int row = _ownBatch.Add(sequence, token, Cache.Length(sequence), wantsLogits: true);
        Forward(_ownBatch);
        return Logits(row);
    }

    // ---- Batch bookkeeping ----

    /// <summary>Checks the whole batch (tokens, context, early-exit rows, free blocks) before changing the
    /// cache, then grows each sequence by its token count.</summary>
    void ReserveCache(ForwardBatch batch, int layerCount)
    {
        var sequences = batch.DistinctSequences;
        var counts = batch.DistinctSequenceCounts;
        var tokens = batch.Tokens;
        var positions = batch.Positions;
        for (int r = 0; r < tokens.Length; r++)
        {
            if ((uint)tokens[r] >= (uint)_c.VocabularySize)
                throw new ArgumentOutOfRangeException(nameof(batch), $"token id {tokens[r]} is outside the vocabulary (0..{_c.VocabularySize - 1})");
            if (positions[r] >= ContextLength)
                throw new ContextOverflowException($"position {positions[r]} is past the context length of {ContextLength} tokens");
        }

        int blocksNeeded = 0;
        for (int s = 0; s < sequences.Length; s++)
        {
            var table = Cache.Table(sequences[s]);
            int newLength = table.Length + counts[s];
            if (newLength > ContextLength)
                throw new ContextOverflowException($"sequence {sequences[s]} would grow to {newLength} tokens, past the context length of {ContextLength}");
            for (int layer = 0; layer < layerCount; layer++)
            {
                if (table.LayerLengths[layer] < table.Length)
                    throw new InvalidOperationException(
                        $"sequence {sequences[s]}: rows {table.LayerLengths[layer]}..{table.Length - 1} were computed without layer {layer} (early exit); " +
                        $"truncate the sequence to {table.LayerLengths[layer]} and run those tokens through the full model");
            }
            blocksNeeded += Cache.BlocksNeededToGrow(table, newLength);
        }
        if (blocksNeeded > Cache.FreeBlockCount)
            throw new KvCacheFullException($"KV cache full: the batch needs {blocksNeeded} more blocks of {Cache.BlockSize} tokens, {Cache.FreeBlockCount} are free");

        int rowBase = 0;
        for (int s = 0; s < sequences.Length; s++)
        {
            var table = Cache.Table(sequences[s]);
            _sequenceStartLength[s] = table.Length;
            _sequenceRowBase[s] = rowBase;
            rowBase += counts[s];
            Cache.Grow(table, table.Length + counts[s]);
            for (int layer = 0; layer < layerCount; layer++) table.LayerLengths[layer] = table.Length;
        }
    }

    /// <summary>Works out, per row, its cache row and the rows it attends to: a contiguous run from row 0
    /// (the cached prefix, extended through a chain of ancestors) plus any further ancestors listed
    /// explicitly in increasing order (tree branches).</summary>
    void PlanAttention(ForwardBatch batch)
    {
        var sequences = batch.DistinctSequences;
        var rowSequences = batch.Sequences;
        var parents = batch.Parents;
        var locals = batch.LocalIndices;
        var wantsLogits = batch.WantsLogits;
        int extraUsed = 0;
        int logitIndex = 0;
        for (int r = 0; r < batch.Count; r++)
        {
            int s = 0;
            while (sequences[s] != rowSequences[r]) s++;
            var table = Cache.Table(sequences[s]);
            int start = _sequenceStartLength[s];
            int local = locals[r];
            int cacheRow = start + local;
            _rowTable[r] = table;
            _rowCacheRow[r] = cacheRow;
            _rowsByLocal[_sequenceRowBase[s] + local] = r;
            _rowLogitIndex[r] = wantsLogits[r] ? logitIndex++ : -1;

            int parent = parents[r];
            int prefix, extraStart = extraUsed, inherited;
            if (parent < 0)
            {
                prefix = start;
                inherited = -1;
            }
            else
            {
                int parentRow = _rowsByLocal[_sequenceRowBase[s] + parent];
                prefix = _rowVisiblePrefix[parentRow];
                inherited = parentRow;
            }

            if (prefix == cacheRow && (inherited < 0 || _rowExtraCount[inherited] == 0))
            {
                // The visible rows run contiguously up to this token: no explicit list needed.
                _rowVisiblePrefix[r] = cacheRow + 1;
                _rowExtraStart[r] = extraStart;
                _rowExtraCount[r] = 0;
                continue;
            }

            int inheritedCount = inherited < 0 ? 0 : _rowExtraCount[inherited];
            EnsureExtraCapacity(extraUsed + inheritedCount + 1);
            if (inheritedCount > 0)
                Array.Copy(_extraRows, _rowExtraStart[inherited], _extraRows, extraUsed, inheritedCount);
            _extraRows[extraUsed + inheritedCount] = cacheRow;
            _rowVisiblePrefix[r] = prefix;
            _rowExtraStart[r] = extraStart;
            _rowExtraCount[r] = inheritedCount + 1;
            extraUsed += inheritedCount + 1;
        }
    }

    void EnsureExtraCapacity(int needed)
    {
        // Grows only for deep trees; amortised, never per token of an ordinary decode.
        if (_extraRows.Length < needed) Array.Resize(ref _extraRows, Math.Max(needed, _extraRows.Length * 2));
    }

    // ---- The transformer ----

    /// <summary>One decoder block. Keys and values are computed and cached for all <paramref name="n"/> rows;
    /// attention and the rest of the block only for <paramref name="rows"/> (ascending), whose results are
    /// packed into the first <paramref name="rowCount"/> rows of the residual stream. The block's down
    /// projection is left pending in _projection.</summary>
    void RunLayer(int layer, int n, int[] rows, int rowCount)
    {
        var w = Model.Layers[layer];
        int d = _c.EmbeddingLength;

        _rowSteps.Run(RowStep.AttentionInput, layer, n);
        _projectionPending = false;
        // One pass over the pool for the three projections of the same input (and gate/up below).
        MatMul.Multiply(_normed, n, w.Query, _query, w.Key, _key, w.Value, _value);
        _rowSteps.Run(RowStep.QueryKeyValue, layer, n);

        // Attention needs every row's keys in the cache first: a token sees its ancestors in the batch.
        var work = _attentionWork;
        work.Cache = Cache;
        work.Layer = layer;
        work.Query = _query;
        work.Output = _attention;
        work.Rows = rows;
        work.RowCount = rowCount;
        work.RowTable = _rowTable;
        work.VisiblePrefix = _rowVisiblePrefix;
        work.ExtraStart = _rowExtraStart;
        work.ExtraCount = _rowExtraCount;
        work.ExtraRows = _extraRows;
        work.KvHeadCount = _c.KvHeadCount;
        work.GroupSize = _c.HeadCount / _c.KvHeadCount;
        work.HeadSize = _c.KeyLength;
        work.ValueSize = _c.ValueLength;
        work.QueryStride = _c.QueryDimension;
        work.OutputStride = _c.AttentionOutputDimension;
        work.Scale = _c.AttentionScale;
        work.Run(ComputePool.Shared);

        if (rowCount < n)
        {
            // Pack the residual rows that go on (rows are ascending, so moving each down is safe).
            for (int i = 0; i < rowCount; i++)
                if (rows[i] != i) _residual.AsSpan(rows[i] * d, d).CopyTo(_residual.AsSpan(i * d, d));
            n = rowCount;
            if (n == 0) return;
        }

        MatMul.Multiply(w.AttentionOutput, _attention, n, _projection);
        _rowSteps.Run(RowStep.FeedForwardInput, layer, n);
        MatMul.Multiply(_normed, n, w.Gate, _gate, w.Up, _up);
        _rowSteps.Run(RowStep.SwiGlu, layer, n);
        MatMul.Multiply(w.Down, _gate, n, _projection);
        _projectionPending = true;
    }

    /// <summary>One row's part of a <see cref="RowStep"/> (called by <see cref="RowSteps"/>, possibly on
    /// several threads at once for different rows).</summary>
    internal void ApplyRowStep(RowStep step, int layer, int r)
    {
        var w = Model.Layers[layer];
        int d = _c.EmbeddingLength;
        float eps = _c.RmsEpsilon;
        var residual = _residual.AsSpan(r * d, d);
        switch (step)
        {
            case RowStep.AttentionInput:
                if (_projectionPending) Elementwise.Add(residual, _projection.AsSpan(r * d, d));
                RmsNorm.Apply(residual, w.AttentionNorm, eps, _normed.AsSpan(r * d, d));
                break;
            case RowStep.QueryKeyValue:
                QueryKeyValueRow(w, layer, r);
                break;
            case RowStep.FeedForwardInput:
                var projection = _projection.AsSpan(r * d, d);
                if (w.AttentionOutputBias != null) Elementwise.Add(projection, w.AttentionOutputBias);
                RmsNorm.AddAndApply(residual, projection, w.FeedForwardNorm, eps, _normed.AsSpan(r * d, d));
                break;
            case RowStep.SwiGlu:
                int ff = _c.FeedForwardLength;
                Activations.SwiGluInPlace(_gate.AsSpan(r * ff, ff), _up.AsSpan(r * ff, ff), ff);
                break;
        }
    }

    void QueryKeyValueRow(LayerWeights w, int layer, int r)
    {
        int qDim = _c.QueryDimension, kvDim = _c.KeyValueDimension, vDim = _c.ValueDimension;
        int headSize = _c.KeyLength, ropeDims = _c.RopeDimensionCount;
        var q = _query.AsSpan(r * qDim, qDim);
        var k = _key.AsSpan(r * kvDim, kvDim);
        var v = _value.AsSpan(r * vDim, vDim);
        if (w.QueryBias != null) Elementwise.Add(q, w.QueryBias);
        if (w.KeyBias != null) Elementwise.Add(k, w.KeyBias);
        if (w.ValueBias != null) Elementwise.Add(v, w.ValueBias);
        if (w.QueryNorm != null) RmsNorm.ApplyInPlace(q, _c.HeadCount, headSize, w.QueryNorm, _c.RmsEpsilon);
        if (w.KeyNorm != null) RmsNorm.ApplyInPlace(k, _c.KvHeadCount, headSize, w.KeyNorm, _c.RmsEpsilon);
        var angles = _ropeAngles.AsSpan(r * ropeDims, ropeDims);
        Rope.Apply(q, _c.HeadCount, headSize, ropeDims, _c.RopeStyle, angles);
        Rope.Apply(k, _c.KvHeadCount, headSize, ropeDims, _c.RopeStyle, angles);
        Cache.WriteRow(layer, _rowTable[r], _rowCacheRow[r], k, v);
    }

    void ComputeLogits(ForwardBatch batch)
    {
        int rows = batch.LogitRowCount;
        if (rows == 0) return;
        int d = _c.EmbeddingLength;
        var wantsLogits = batch.WantsLogits;
        int i = 0;
        for (int r = 0; r < batch.Count; r++)
        {
            if (!wantsLogits[r]) continue;
            // After a packed last layer the logit rows are the first ones of the residual stream.
            int source = _compacted ? i : r;
            var residual = _residual.AsSpan(source * d, d);
            if (_projectionPending) Elementwise.Add(residual, _projection.AsSpan(source * d, d));
            RmsNorm.Apply(residual, Model.OutputNorm, _c.RmsEpsilon, _logitInput.AsSpan(i * d, d));
            i++;
        }
        _projectionPending = false;
        MatMul.Multiply(Model.Output, _logitInput, rows, _logits);
        if (Model.OutputBias != null)
            for (int row = 0; row < rows; row++) Elementwise.Add(_logits.AsSpan(row * _c.VocabularySize, _c.VocabularySize), Model.OutputBias);
    }
}
