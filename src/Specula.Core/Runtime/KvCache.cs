using System.Numerics;

namespace Specula.Runtime;

/// <summary>How the KV cache stores keys and values.</summary>
public enum KvCacheType
{
    /// <summary>float32; attention is llama.cpp's (non-flash) arithmetic to the bit (<see cref="Attention"/>).</summary>
    F32,
    /// <summary>IEEE half, rounded to nearest even when written (llama.cpp's default cache type): half the
    /// memory and half the bytes read per attended row; attention is blockwise with an online softmax
    /// (<see cref="BlockwiseAttention"/>).</summary>
    F16,
}

/// <summary>
/// Keys and values of every layer for many sequences, stored in fixed-size blocks of rows, as float32 or as
/// half (<see cref="Type"/>). Inside a block the layout is head-major: keys [key/value head][row][head size],
/// so attention reads each head's key rows of a block as one contiguous run. Float32 values are transposed,
/// [key/value head][value dimension][row], so the weighted sum over rows runs along 16 consecutive rows per
/// dimension (ggml's lane layout, see <see cref="Attention"/>); half values are stored like the keys,
/// [key/value head][row][value dimension], the layout the blockwise kernel accumulates a row at a time from
/// (<see cref="BlockwiseAttention"/>). Blocks hold whole units of <see cref="AttentionLanes"/> rows. Each
/// sequence has a <see cref="KvBlockTable"/> mapping its rows to blocks; blocks are reference-counted so
/// <see cref="Fork"/> shares a prefix without copying, and a shared block is copied only when a sequence
/// writes into it (copy-on-write: in practice the last, partially filled block).
/// </summary>
public sealed class KvCache
{
    public const int DefaultBlockSize = 16;

    /// <summary>Rows the attention kernel treats as one unit (ggml's 16 lanes); a block holds whole units.</summary>
    public const int AttentionLanes = 16;

    // F32: per layer, BlockCount blocks of keys [KvHeadCount][BlockSize][KeyLength] and values
    // [KvHeadCount][ValueLength][BlockSize]. F16 (half bits): keys as for F32, values [KvHeadCount][BlockSize][ValueLength].
    // Only the arrays of the cache's type exist.
    readonly float[][] _keys = [], _values = [];
    readonly ushort[][] _halfKeys = [], _halfValues = [];
    readonly int[] _refCounts;
    readonly int[] _freeBlocks;
    int _freeCount;
    readonly KvBlockTable?[] _sequences;
    readonly int _blockShift;

    public KvCacheType Type { get; }
    public int LayerCount { get; }
    public int BlockSize { get; }
    public int BlockCount { get; }
    public int KvHeadCount { get; }
    /// <summary>Size of one key head.</summary>
    public int KeyLength { get; }
    /// <summary>Size of one value head.</summary>
    public int ValueLength { get; }
    /// <summary>Floats per row of keys in one layer (key/value heads x head size).</summary>
    public int KeyDimension => KvHeadCount * KeyLength;
    public int ValueDimension => KvHeadCount * ValueLength;
    /// <summary>The longest a sequence may grow (the runner's context length).</summary>
    public int MaxSequenceLength { get; }
    public int MaxSequences { get; }
    public int FreeBlockCount => _freeCount;

    public KvCache(int layerCount, int kvHeadCount, int keyLength, int valueLength, int capacityTokens, int maxSequenceLength,
        int maxSequences = 64, int blockSize = DefaultBlockSize, KvCacheType type = KvCacheType.F32)
    {
        if (type is not (KvCacheType.F32 or KvCacheType.F16)) throw new ArgumentException($"unknown KV cache type {type}");
        if (layerCount <= 0 || kvHeadCount <= 0 || keyLength <= 0 || valueLength <= 0)
            throw new ArgumentException("KV cache needs positive layer count, head count and head sizes");
        if (blockSize < AttentionLanes || !BitOperations.IsPow2(blockSize))
            throw new ArgumentException($"KV cache block size must be a power of two of at least {AttentionLanes}, got {blockSize}");
        if (capacityTokens <= 0) throw new ArgumentException($"KV cache capacity must be positive, got {capacityTokens} tokens");
        if (maxSequenceLength <= 0) throw new ArgumentException($"maximum sequence length must be positive, got {maxSequenceLength}");
        if (maxSequences <= 0) throw new ArgumentException($"maximum sequence count must be positive, got {maxSequences}");

        Type = type;
        LayerCount = layerCount;
        BlockSize = blockSize;
        _blockShift = BitOperations.Log2((uint)blockSize);
        BlockCount = (int)((capacityTokens + (long)blockSize - 1) / blockSize);
        KvHeadCount = kvHeadCount;
        KeyLength = keyLength;
        ValueLength = valueLength;
        MaxSequenceLength = maxSequenceLength;
        MaxSequences = maxSequences;

        long rows = (long)BlockCount * blockSize;
        if (rows * Math.Max(KeyDimension, ValueDimension) > Array.MaxLength)
            throw new ArgumentException($"KV cache of {rows} tokens x {Math.Max(KeyDimension, ValueDimension)} floats per layer is too large for one array; lower the capacity");
        if (type == KvCacheType.F16)
        {
            _halfKeys = new ushort[layerCount][];
            _halfValues = new ushort[layerCount][];
            for (int l = 0; l < layerCount; l++)
            {
                _halfKeys[l] = new ushort[rows * KeyDimension];
                _halfValues[l] = new ushort[rows * ValueDimension];
            }
        }
        else
        {
            _keys = new float[layerCount][];
            _values = new float[layerCount][];
            for (int l = 0; l < layerCount; l++)
            {
                _keys[l] = new float[rows * KeyDimension];
                _values[l] = new float[rows * ValueDimension];
            }
        }
        _refCounts = new int[BlockCount];
        _freeBlocks = new int[BlockCount];
        // Hand out low block numbers first (stack: last pushed is taken first).
        for (int b = 0; b < BlockCount; b++) _freeBlocks[b] = BlockCount - 1 - b;
        _freeCount = BlockCount;
        _sequences = new KvBlockTable?[maxSequences];
    }

    // ---- Sequences ----

    /// <summary>Starts an empty sequence and returns its id.</summary>
    public int CreateSequence()
    {
        int id = FreeSequenceId();
        _sequences[id] = new KvBlockTable(LayerCount, MaxBlocksPerSequence);
        return id;
    }

    /// <summary>A new sequence with the same rows as <paramref name="sequence"/>, sharing its blocks.</summary>
    public int Fork(int sequence)
    {
        var source = Table(sequence);
        int id = FreeSequenceId();
        var copy = new KvBlockTable(LayerCount, MaxBlocksPerSequence);
        copy.CopyFrom(source);
        for (int i = 0; i < copy.BlockCount; i++) _refCounts[copy.Blocks[i]]++;
        _sequences[id] = copy;
        return id;
    }

    /// <summary>Drops the rows from <paramref name="length"/> on (rejected speculative tokens).</summary>
    public void Truncate(int sequence, int length)
    {
        var table = Table(sequence);
        if (length < 0 || length > table.Length)
            throw new ArgumentOutOfRangeException(nameof(length), $"cannot truncate sequence {sequence} of {table.Length} tokens to {length}");
        int keepBlocks = BlocksFor(length);
        for (int i = keepBlocks; i < table.BlockCount; i++) Release(table.Blocks[i]);
        table.BlockCount = keepBlocks;
        table.Length = length;
        for (int l = 0; l < LayerCount; l++) table.LayerLengths[l] = Math.Min(table.LayerLengths[l], length);
    }

    /// <summary>
    /// Keeps rows [0, <paramref name="fromRow"/>) and then only <paramref name="keptRows"/> (strictly
    /// increasing, all ≥ fromRow), moved down to rows fromRow, fromRow+1, ...; the sequence ends after them.
    /// This keeps the accepted path of a verified token tree: fromRow is the length before the tree and
    /// keptRows are the accepted nodes' rows.
    /// </summary>
    public void Compact(int sequence, int fromRow, ReadOnlySpan<int> keptRows)
    {
        var table = Table(sequence);
        if (fromRow < 0 || fromRow > table.Length)
            throw new ArgumentOutOfRangeException(nameof(fromRow), $"row {fromRow} is outside sequence {sequence} of {table.Length} tokens");
        int previous = fromRow - 1;
        foreach (int row in keptRows)
        {
            if (row <= previous || row >= table.Length)
                throw new ArgumentException($"kept rows must be strictly increasing, at least {fromRow} and below the sequence length {table.Length}; got {row} after {previous}");
            previous = row;
        }
        int newLength = fromRow + keptRows.Length;

        // Copy-on-write needs a free block for every shared block that receives a moved row; check first
        // so a failure leaves the sequence untouched.
        int needed = 0;
        int firstMoved = -1;
        for (int i = 0; i < keptRows.Length; i++)
            if (keptRows[i] != fromRow + i) { firstMoved = fromRow + i; break; }
        if (firstMoved >= 0)
            for (int b = firstMoved >> _blockShift; b < BlocksFor(newLength); b++)
                if (_refCounts[table.Blocks[b]] > 1) needed++;
        if (needed > _freeCount)
            throw new KvCacheFullException($"KV cache full: compacting sequence {sequence} needs {needed} free blocks, {_freeCount} left");

        for (int i = 0; i < keptRows.Length; i++)
        {
            int destination = fromRow + i, source = keptRows[i];
            if (destination == source) continue;
            MakeBlockWritable(table, destination >> _blockShift);
            if (Type == KvCacheType.F16)
            {
                for (int l = 0; l < LayerCount; l++)
                    for (int h = 0; h < KvHeadCount; h++)
                    {
                        Array.Copy(_halfKeys[l], KeyIndex(table, source, h), _halfKeys[l], KeyIndex(table, destination, h), KeyLength);
                        Array.Copy(_halfValues[l], HalfValueIndex(table, source, h), _halfValues[l], HalfValueIndex(table, destination, h), ValueLength);
                    }
                continue;
            }
            for (int l = 0; l < LayerCount; l++)
                for (int h = 0; h < KvHeadCount; h++)
                {
                    Array.Copy(_keys[l], KeyIndex(table, source, h), _keys[l], KeyIndex(table, destination, h), KeyLength);
                    long from = ValueIndex(table, source, h), to = ValueIndex(table, destination, h);
                    var values = _values[l];
                    for (int d = 0; d < ValueLength; d++) values[to + (long)d * BlockSize] = values[from + (long)d * BlockSize];
                }
        }

        for (int l = 0; l < LayerCount; l++)
        {
            int valid = table.LayerLengths[l];
            if (valid <= fromRow) continue;
            int kept = 0;
            while (kept < keptRows.Length && keptRows[kept] < valid) kept++;
            table.LayerLengths[l] = fromRow + kept;
        }
        int keepBlocks = BlocksFor(newLength);
        for (int i = keepBlocks; i < table.BlockCount; i++) Release(table.Blocks[i]);
        table.BlockCount = keepBlocks;
        table.Length = newLength;
    }

    /// <summary>Releases the sequence's blocks and its id.</summary>
    public void Free(int sequence)
    {
        var table = Table(sequence);
        for (int i = 0; i < table.BlockCount; i++) Release(table.Blocks[i]);
        _sequences[sequence] = null;
    }

    public bool Contains(int sequence) => (uint)sequence < (uint)_sequences.Length && _sequences[sequence] != null;

    public int Length(int sequence) => Table(sequence).Length;

    public KvBlockTable Table(int sequence) =>
        Contains(sequence) ? _sequences[sequence]! : throw new ArgumentException($"sequence {sequence} does not exist in the KV cache");

    public int ReferenceCount(int block) => _refCounts[block];

    // ---- Used by the runner ----

    internal float[] Keys(int layer) => _keys[layer];
    internal float[] Values(int layer) => _values[layer];
    /// <summary>A layer's keys as half bits (F16 cache), laid out as <see cref="Keys"/>.</summary>
    internal ushort[] HalfKeys(int layer) => _halfKeys[layer];
    /// <summary>A layer's values as half bits (F16 cache), row-major: see <see cref="HalfValueIndex"/>.</summary>
    internal ushort[] HalfValues(int layer) => _halfValues[layer];

    /// <summary>Index in a layer's key array of head <paramref name="kvHead"/> of a sequence row.</summary>
    internal long KeyIndex(KvBlockTable table, int row, int kvHead) =>
        ((((long)table.Blocks[row >> _blockShift] * KvHeadCount + kvHead) << _blockShift) + (row & (BlockSize - 1))) * KeyLength;

    /// <summary>Index in a layer's value array of dimension 0 of head <paramref name="kvHead"/> of a sequence row;
    /// dimension d is <see cref="BlockSize"/>·d further on.</summary>
    internal long ValueIndex(KvBlockTable table, int row, int kvHead) =>
        (((long)table.Blocks[row >> _blockShift] * KvHeadCount + kvHead) * ValueLength << _blockShift) + (row & (BlockSize - 1));

    /// <summary>Index in a layer's half value array (F16 cache) of head <paramref name="kvHead"/> of a sequence
    /// row: its <see cref="ValueLength"/> values are consecutive.</summary>
    internal long HalfValueIndex(KvBlockTable table, int row, int kvHead) =>
        ((((long)table.Blocks[row >> _blockShift] * KvHeadCount + kvHead) << _blockShift) + (row & (BlockSize - 1))) * ValueLength;

    /// <summary>Stores a row's keys and values (all heads, head after head) for one layer; an F16 cache rounds
    /// each to the nearest half (ties to even).</summary>
    internal void WriteRow(int layer, KvBlockTable table, int row, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        if (Type == KvCacheType.F16)
        {
            var halfKeys = _halfKeys[layer];
            var halfValues = _halfValues[layer];
            for (int h = 0; h < KvHeadCount; h++)
            {
                RoundToHalf(key.Slice(h * KeyLength, KeyLength), halfKeys.AsSpan((int)KeyIndex(table, row, h), KeyLength));
                RoundToHalf(value.Slice(h * ValueLength, ValueLength), halfValues.AsSpan((int)HalfValueIndex(table, row, h), ValueLength));
            }
            return;
        }
        var keys = _keys[layer];
        var values = _values[layer];
        for (int h = 0; h < KvHeadCount; h++)
        {
            key.Slice(h * KeyLength, KeyLength).CopyTo(keys.AsSpan((int)KeyIndex(table, row, h), KeyLength));
            var source = value.Slice(h * ValueLength, ValueLength);
            long column = ValueIndex(table, row, h);
            for (int d = 0; d < source.Length; d++) values[column + (long)d * BlockSize] = source[d];
        }
    }

    static void RoundToHalf(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        for (int i = 0; i < source.Length; i++) destination[i] = BitConverter.HalfToUInt16Bits((Half)source[i]);
    }

    /// <summary>Free blocks needed to grow a sequence to <paramref name="newLength"/> rows.</summary>
    internal int BlocksNeededToGrow(KvBlockTable table, int newLength)
    {
        int needed = BlocksFor(newLength) - table.BlockCount;
        // Writing into a shared, partially filled last block copies it first.
        if ((table.Length & (BlockSize - 1)) != 0 && _refCounts[table.Blocks[table.BlockCount - 1]] > 1) needed++;
        return needed;
    }

    /// <summary>Grows a sequence to <paramref name="newLength"/> rows, making every block that will be written
    /// private to it. The caller has checked <see cref="BlocksNeededToGrow"/> against the free blocks.</summary>
    internal void Grow(KvBlockTable table, int newLength)
    {
        if ((table.Length & (BlockSize - 1)) != 0) MakeBlockWritable(table, table.BlockCount - 1);
        int blocks = BlocksFor(newLength);
        table.EnsureBlockCapacity(blocks);
        while (table.BlockCount < blocks) table.Blocks[table.BlockCount++] = Allocate();
        table.Length = newLength;
    }

    int BlocksFor(int rows) => (rows + BlockSize - 1) >> _blockShift;

    /// <summary>The most blocks one sequence can hold (its maximum length, or the whole cache if smaller). Block
    /// tables start this large: growing one later would allocate in the middle of a decode step.</summary>
    int MaxBlocksPerSequence => (int)Math.Min(BlockCount, ((long)MaxSequenceLength + BlockSize - 1) >> _blockShift);

    void MakeBlockWritable(KvBlockTable table, int index)
    {
        int block = table.Blocks[index];
        if (_refCounts[block] == 1) return;
        int copy = Allocate();
        long from = (long)block * BlockSize, to = (long)copy * BlockSize;
        for (int l = 0; l < _keys.Length; l++)
        {
            Array.Copy(_keys[l], from * KeyDimension, _keys[l], to * KeyDimension, (long)BlockSize * KeyDimension);
            Array.Copy(_values[l], from * ValueDimension, _values[l], to * ValueDimension, (long)BlockSize * ValueDimension);
        }
        for (int l = 0; l < _halfKeys.Length; l++)
        {
            Array.Copy(_halfKeys[l], from * KeyDimension, _halfKeys[l], to * KeyDimension, (long)BlockSize * KeyDimension);
            Array.Copy(_halfValues[l], from * ValueDimension, _halfValues[l], to * ValueDimension, (long)BlockSize * ValueDimension);
        }
        _refCounts[block]--;
        table.Blocks[index] = copy;
    }

    int Allocate()
    {
        if (_freeCount == 0)
            throw new KvCacheFullException($"KV cache full: all {BlockCount} blocks of {BlockSize} tokens are in use");
        int block = _freeBlocks[--_freeCount];
        _refCounts[block] = 1;
        return block;
    }

    void Release(int block)
    {
        if (--_refCounts[block] == 0) _freeBlocks[_freeCount++] = block;
    }

    int FreeSequenceId()
    {
        for (int i = 0; i < _sequences.Length; i++)
            if (_sequences[i] == null) return i;
        throw new InvalidOperationException($"the KV cache already holds its maximum of {MaxSequences} sequences");
    }
}
