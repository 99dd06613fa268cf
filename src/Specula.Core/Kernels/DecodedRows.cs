using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// A few weight rows unpacked into the form the integer kernels consume, reused for every token of a
/// matrix multiplication (one per pool thread, so decoding allocates nothing after warm-up).
/// <list type="bullet">
/// <item>32-value block types (Q4_1, Q5_0, Q5_1): one unsigned byte per value (Q5_0 keeps its +16 offset),
/// the block scale spread over the sixteen int32 lanes of each 64-value chunk
/// (lanes 0-7 first block, 8-15 second), and Q4_1/Q5_1's per-block minimum.</item>
/// <item>K-quants: one unsigned byte per value (Q3_K offset by 4), the sub-block scale of each
/// int16 pair lane of every 64-value chunk, the sixteen scales and mins per 256 values, d and dmin.</item>
/// <item>Float types: floats.</item>
/// </list>
/// </summary>
internal sealed unsafe class DecodedRows : IDisposable
{
    public const int MaxRows = 4;

    readonly NativeBuffer _values = new();
    readonly NativeBuffer _lanes = new();
    readonly NativeBuffer _blockScalars = new();
    readonly NativeBuffer _groupScales = new();
    readonly NativeBuffer _groupMins = new();

    public int Columns { get; private set; }
    public int ValueStride { get; private set; }
    public int Chunks { get; private set; }
    public int Blocks { get; private set; }

    public void Prepare(GgmlType type, int columns)
    {
        Columns = columns;
        Chunks = (columns + 63) / 64;
        switch (type)
        {
            case GgmlType.F32 or GgmlType.F16 or GgmlType.BF16:
                ValueStride = ((columns + 15) & ~15) * sizeof(float);
                Blocks = 0;
                break;
            case GgmlType.Q2_K or GgmlType.Q3_K:
                ValueStride = columns;
                Blocks = columns / 256;
                _lanes.Ensure((long)MaxRows * Chunks * 32 * sizeof(short));
                _groupScales.Ensure((long)MaxRows * Blocks * 16 * sizeof(short));
                _groupMins.Ensure((long)MaxRows * Blocks * 16 * sizeof(short));
                _blockScalars.Ensure((long)MaxRows * Blocks * 2 * sizeof(float));
                break;
            default:
                ValueStride = Chunks * 64;
                Blocks = Chunks * 2;
                _lanes.Ensure((long)MaxRows * Chunks * 16 * sizeof(float));
                _blockScalars.Ensure((long)MaxRows * Blocks * sizeof(float));
                break;
        }
        _values.Ensure((long)MaxRows * ValueStride);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public byte* Values(int row) => _values.Pointer + (long)row * ValueStride;
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float* Floats(int row) => (float*)Values(row);

    /// <summary>32-value types: 16 float lanes per 64-value chunk.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float* ScaleLanes(int row) => (float*)_lanes.Pointer + (long)row * Chunks * 16;

    /// <summary>K-quants: 32 int16 lanes per 64-value chunk.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public short* KScaleLanes(int row) => (short*)_lanes.Pointer + (long)row * Chunks * 32;

    /// <summary>32-value types with a minimum: one per block.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float* Mins(int row) => (float*)_blockScalars.Pointer + (long)row * Blocks;

    /// <summary>K-quants: d and dmin of each 256-value block, interleaved.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public float* SuperScales(int row) => (float*)_blockScalars.Pointer + (long)row * Blocks * 2;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public short* GroupScales(int row) => (short*)_groupScales.Pointer + (long)row * Blocks * 16;
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public short* GroupMins(int row) => (short*)_groupMins.Pointer + (long)row * Blocks * 16;

    public void Dispose()
    {
        _values.Dispose();
        _lanes.Dispose();
        _blockScalars.Dispose();
        _groupScales.Dispose();
        _groupMins.Dispose();
    }
}
