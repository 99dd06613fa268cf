using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// A Q4_0, Q8_0, Q4_K, Q5_K or Q6_K weight matrix rearranged once, when the <see cref="WeightMatrix"/> is created,
/// into tiles of <see cref="Rows"/> = 16 rows so that one 512-bit register holds four consecutive values (or
/// their packed bits) of the same block of all sixteen rows: the tile kernels multiply sixteen rows by one
/// token with one broadcast of four activation bytes per register, and reuse each weight register for several
/// tokens. The rows of a tile are read as one sequential stream, for one token or many.
/// <para>Blocks are <see cref="BlockBytes"/> long, a multiple of 64 so that every register load is aligned. The
/// types with a 32-byte scale field per block store blocks in pairs: both blocks' scales (64 bytes), then the
/// two blocks (the second one zero when the row has an odd number). One tile is one sequential stream: a
/// separate scale region measured much slower from memory. "Unit k" below is 64 bytes holding, for row r,
/// bytes 4k..4k+3 of that row's source field at 4r..4r+3.</para>
/// <list type="bullet">
/// <item>Q4_0 (blocks of 32): scale field: the sixteen rows' f16 d; block: units 0-3 of the 16 nibble bytes.
/// Unit g's low nibbles are values 4g..4g+3, its high nibbles values 16+4g..16+4g+3.</item>
/// <item>Q8_0: scale field: the f16 d; block: units 0-7 of the 32 value bytes.</item>
/// <item>Q4_K (blocks of 256): no scale field; block: d of the sixteen rows (f16, bytes 0-31), dmin (32-63),
/// units 0-2 of the 12 packed scale bytes (64-255), then units 0-31 of the 128 nibble bytes: unit 8c+g holds
/// values 64c+4g.. (low nibbles, sub-block 2c) and 64c+32+4g.. (high nibbles, sub-block 2c+1).</item>
/// <item>Q5_K: as Q4_K with units 0-7 of the 32 high-bit bytes (qh) between the header and the nibbles (read
/// first, then reused from the cache: the stream stays in order): bit 2c of byte l is the fifth bit of value
/// 64c+l, bit 2c+1 that of value 64c+32+l.</item>
/// <item>Q6_K (blocks of 256): scale field: the f16 d; block: units 0-3 of the 16 signed group scales, then
/// four steps of 12 units in the order the kernel reads them: step 2h+u holds low-bit (ql) units 16h+4u..+3,
/// ql units 16h+8+4u..+3 and high-bit (qh) units 8h+4u..+3.</item>
/// </list>
/// Rows past the end of the matrix are zero (scales 0) in the last tile.
/// </summary>
internal sealed unsafe class RowTiles : IDisposable
{
    public const int Rows = 16;

    readonly long _bytes;
    byte* _data;

    public GgmlType Type { get; }
    public int Blocks { get; }
    public int TileCount { get; }

    /// <summary>Bytes of one tile block (sixteen rows' worth of the source blocks, without the scale field).</summary>
    public int BlockBytes { get; }
    /// <summary>Bytes of the scale field of each block: 32, or 0 for Q4_K whose block holds its scales.</summary>
    public int ScaleBytes { get; }
    /// <summary>Bytes of a pair of blocks with their scale fields (types with a scale field).</summary>
    public int PairBytes { get; }
    public long TileBytes { get; }

    public const int Q4_0BlockBytes = 4 * 64;
    public const int Q8_0BlockBytes = 8 * 64;
    public const int Q4_KHeaderBytes = 256;
    public const int Q4_KBlockBytes = Q4_KHeaderBytes + 32 * 64;
    public const int Q5_KBlockBytes = Q4_KBlockBytes + 8 * 64;
    public const int Q6_KStepBytes = 12 * 64;
    public const int Q6_KBlockBytes = 4 * 64 + 4 * Q6_KStepBytes;

    public static bool Supports(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.Q4_K or GgmlType.Q5_K or GgmlType.Q6_K;

    RowTiles(GgmlType type, int rows, int columns)
    {
        Type = type;
        Blocks = columns / (type is GgmlType.Q4_0 or GgmlType.Q8_0 ? 32 : 256);
        TileCount = (rows + Rows - 1) / Rows;
        (BlockBytes, ScaleBytes) = type switch
        {
            GgmlType.Q4_0 => (Q4_0BlockBytes, 32),
            GgmlType.Q8_0 => (Q8_0BlockBytes, 32),
            GgmlType.Q4_K => (Q4_KBlockBytes, 0),
            GgmlType.Q5_K => (Q5_KBlockBytes, 0),
            _ => (Q6_KBlockBytes, 32),
        };
        PairBytes = 2 * ScaleBytes + 2 * BlockBytes;
        TileBytes = ScaleBytes == 0 ? (long)Blocks * BlockBytes : (long)(Blocks + 1) / 2 * PairBytes;
        _bytes = TileBytes * TileCount;
        _data = StreamingMemory.Allocate(_bytes);
        // Only the last tile can hold padding rows; every other byte is written by Pack.
        if (TileCount > 0) NativeMemory.Clear(Tile(TileCount - 1), (nuint)TileBytes);
        GC.AddMemoryPressure(Math.Max(_bytes, 64));
    }

    public byte* Tile(int tile) => _data + tile * TileBytes;

    /// <summary>Copies a tile kernel's results (16 rows per token, token k at <paramref name="result"/> + 16k) into
    /// <paramref name="y"/> (token t's outputs at y + t·yStride), only the rows the matrix really has.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreResults(float* result, int tokenCount, int tile, int validRows, float* y, int firstToken, int yStride)
    {
        int row0 = tile * Rows;
        for (int k = 0; k < tokenCount; k++)
        {
            float* target = y + (long)(firstToken + k) * yStride + row0;
            if (validRows == Rows) Vector512.Store(Vector512.Load(result + 16 * k), target);
            else for (int r = 0; r < validRows; r++) target[r] = result[16 * k + r];
        }
    }

    /// <summary>Block <paramref name="block"/> of a tile.</summary>
    public byte* Block(byte* tile, int block) => ScaleBytes == 0
        ? tile + (long)block * BlockBytes
        : tile + (long)(block >> 1) * PairBytes + 2 * ScaleBytes + (block & 1) * BlockBytes;

    /// <summary>The scale field of block <paramref name="block"/> of a tile (types with one).</summary>
    public byte* BlockScales(byte* tile, int block) => tile + (long)(block >> 1) * PairBytes + (block & 1) * ScaleBytes;

    /// <summary>Rearranges the rows of <paramref name="source"/> (ggml row-major blocks) into tiles, large
    /// matrices on several threads.</summary>
    public static RowTiles Pack(GgmlType type, int rows, int columns, byte* source, long rowBytes)
    {
        if (!Supports(type)) throw new NotSupportedException($"{type} weights are not stored in row tiles");
        var tiles = new RowTiles(type, rows, columns);
        const long parallelBytes = 4 << 20;
        if (tiles._bytes < parallelBytes || Environment.ProcessorCount == 1)
        {
            for (int t = 0; t < tiles.TileCount; t++) tiles.PackTile(t, rows, source, rowBytes);
        }
        else
        {
            nint sourceAddress = (nint)source;
            Parallel.For(0, tiles.TileCount, t => tiles.PackTile(t, rows, (byte*)sourceAddress, rowBytes));
        }
        return tiles;
    }

    // Packing runs once per matrix, at load: compiled optimized straight away rather than first as tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void PackTile(int t, int rows, byte* source, long rowBytes)
    {
        byte* tile = Tile(t);
        int count = Math.Min(Rows, rows - t * Rows); // padding rows stay zero
        byte* first = source + (long)t * Rows * rowBytes;
        // Block by block, the sixteen rows of each: every tile block is written once, in order.
        for (int b = 0; b < Blocks; b++)
        {
            byte* scale = BlockScales(tile, b);
            byte* to = Block(tile, b);
            switch (Type)
            {
                case GgmlType.Q4_0:
                    for (int r = 0; r < count; r++) PackBlock32(first + r * rowBytes + (long)b * 18, scale, to, r, units: 4);
                    break;
                case GgmlType.Q8_0:
                    for (int r = 0; r < count; r++) PackBlock32(first + r * rowBytes + (long)b * 34, scale, to, r, units: 8);
                    break;
                case GgmlType.Q4_K:
                    for (int r = 0; r < count; r++) PackQ4_K(first + r * rowBytes + (long)b * 144, to, r, qs: 16, nibbles: Q4_KHeaderBytes);
                    break;
                case GgmlType.Q5_K:
                    for (int r = 0; r < count; r++)
                    {
                        byte* from = first + r * rowBytes + (long)b * 176;
                        PackQ4_K(from, to, r, qs: 48, nibbles: Q4_KHeaderBytes + 8 * 64);
                        PackUnits(from + 16, to + Q4_KHeaderBytes, r, 8);
                    }
                    break;
                default:
                    for (int r = 0; r < count; r++) PackQ6_K(first + r * rowBytes + (long)b * 210, scale, to, r);
                    break;
            }
        }
    }

    /// <summary>Copies <paramref name="units"/> four-byte pieces of row <paramref name="r"/> into their units.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PackUnits(byte* from, byte* to, int r, int units)
    {
        for (int k = 0; k < units; k++) *(uint*)(to + 64 * k + 4 * r) = *(uint*)(from + 4 * k);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PackBlock32(byte* from, byte* scale, byte* to, int r, int units)
    {
        ((ushort*)scale)[r] = *(ushort*)from;
        PackUnits(from + 2, to, r, units);
    }

    /// <summary>The part Q4_K and Q5_K share: d, dmin, the packed scales, and the nibbles (source offset
    /// <paramref name="qs"/>, tile offset <paramref name="nibbles"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PackQ4_K(byte* from, byte* to, int r, int qs, int nibbles)
    {
        ((ushort*)to)[r] = *(ushort*)from;
        ((ushort*)(to + 32))[r] = *(ushort*)(from + 2);
        PackUnits(from + 4, to + 64, r, 3);
        PackUnits(from + qs, to + nibbles, r, 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void PackQ6_K(byte* from, byte* scale, byte* to, int r)
    {
        ((ushort*)scale)[r] = *(ushort*)(from + 208);
        PackUnits(from + 192, to, r, 4);
        for (int step = 0; step < 4; step++)
        {
            // Step 2h+u: ql units 16h+4u..+3 and 16h+8+4u..+3, qh units 8h+4u..+3.
            int h = step >> 1, u = step & 1;
            byte* at = to + 256 + step * Q6_KStepBytes;
            PackUnits(from + 4 * (16 * h + 4 * u), at, r, 4);
            PackUnits(from + 4 * (16 * h + 8 + 4 * u), at + 256, r, 4);
            PackUnits(from + 128 + 4 * (8 * h + 4 * u), at + 512, r, 4);
        }
    }


    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~RowTiles() => Free();

    void Free()
    {
        if (_data == null) return;
        NativeMemory.AlignedFree(_data);
        _data = null;
        GC.RemoveMemoryPressure(Math.Max(_bytes, 64));
    }
}
