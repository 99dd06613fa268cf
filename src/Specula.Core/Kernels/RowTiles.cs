using System.Runtime.InteropServices;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// A Q4_0, Q8_0 or Q4_K weight matrix rearranged once, when the <see cref="WeightMatrix"/> is created, into
/// tiles of <see cref="Rows"/> = 16 rows so that one 512-bit register holds four consecutive values (or their
/// nibbles) of the same block of all sixteen rows. The tile kernels (<see cref="TileKernels"/>) then multiply sixteen rows by one token
/// with one broadcast of four activation bytes per register, and reuse each unpacked weight register for
/// several tokens. The rows of a tile are read as one sequential stream, for one token or many.
/// <para>Layout, tile after tile, each tile block after block (one block = 32 columns):</para>
/// <list type="bullet">
/// <item>the sixteen rows' f16 block scales (32 bytes);</item>
/// <item>Q4_0: four groups of 64 bytes; group g holds, for row r, bytes 4g..4g+3 of the row's 16 nibble bytes
/// at 4r..4r+3. Its low nibbles are values 4g..4g+3 of the block, its high nibbles values 16+4g..16+4g+3.</item>
/// <item>Q8_0: eight groups of 64 bytes; group g holds, for row r, values 4g..4g+3 at 4r..4r+3.</item>
/// <item>Q4_K (blocks of 256): a 256-byte header — d of the sixteen rows (f16, bytes 0-31), dmin (32-63), and
/// the 12 packed scale bytes as three words per row: bytes 0-3 of every row (64-127), 4-7 (128-191), 8-11
/// (192-255) — then 32 groups of 64 bytes: group 8c+g holds, for row r, bytes 32c+4g..32c+4g+3 of the row's
/// 128 nibble bytes, whose low nibbles are values 64c+4g.. (sub-block 2c) and high nibbles 64c+32+4g..
/// (sub-block 2c+1).</item>
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

    /// <summary>Bytes of one tile block (sixteen rows' worth of the source blocks).</summary>
    public int BlockBytes { get; }
    public long TileBytes { get; }

    public const int Q4_0BlockBytes = 32 + 4 * 64;
    public const int Q8_0BlockBytes = 32 + 8 * 64;
    public const int Q4_KHeaderBytes = 256;
    public const int Q4_KBlockBytes = Q4_KHeaderBytes + 32 * 64;

    public static bool Supports(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q8_0 or GgmlType.Q4_K;

    RowTiles(GgmlType type, int rows, int columns)
    {
        Type = type;
        Blocks = columns / (type == GgmlType.Q4_K ? 256 : 32);
        TileCount = (rows + Rows - 1) / Rows;
        BlockBytes = type switch { GgmlType.Q4_0 => Q4_0BlockBytes, GgmlType.Q8_0 => Q8_0BlockBytes, _ => Q4_KBlockBytes };
        TileBytes = (long)Blocks * BlockBytes;
        _bytes = TileBytes * TileCount;
        _data = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(_bytes, 64), 64);
        // Only the last tile can hold padding rows; every other byte is written by Pack.
        if (TileCount > 0) NativeMemory.Clear(Tile(TileCount - 1), (nuint)TileBytes);
        GC.AddMemoryPressure(Math.Max(_bytes, 64));
    }

    public byte* Tile(int tile) => _data + tile * TileBytes;

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

    void PackTile(int t, int rows, byte* source, long rowBytes)
    {
        byte* tile = Tile(t);
        for (int r = 0; r < Rows; r++)
        {
            int row = t * Rows + r;
            if (row >= rows) break; // padding rows stay zero
            byte* sourceRow = source + row * rowBytes;
            for (int b = 0; b < Blocks; b++)
            {
                byte* to = tile + (long)b * BlockBytes;
                switch (Type)
                {
                    case GgmlType.Q4_0: PackBlock32(sourceRow + (long)b * 18, to, r, groups: 4); break;
                    case GgmlType.Q8_0: PackBlock32(sourceRow + (long)b * 34, to, r, groups: 8); break;
                    default: PackQ4_K(sourceRow + (long)b * 144, to, r); break;
                }
            }
        }
    }

    static void PackBlock32(byte* from, byte* to, int r, int groups)
    {
        ((ushort*)to)[r] = *(ushort*)from;
        for (int g = 0; g < groups; g++)
            *(uint*)(to + 32 + 64 * g + 4 * r) = *(uint*)(from + 2 + 4 * g);
    }

    static void PackQ4_K(byte* from, byte* to, int r)
    {
        ((ushort*)to)[r] = *(ushort*)from;
        ((ushort*)(to + 32))[r] = *(ushort*)(from + 2);
        for (int word = 0; word < 3; word++)
            *(uint*)(to + 64 + 64 * word + 4 * r) = *(uint*)(from + 4 + 4 * word);
        byte* nibbles = from + 16;
        for (int group = 0; group < 32; group++)
            *(uint*)(to + Q4_KHeaderBytes + 64 * group + 4 * r) = *(uint*)(nibbles + 4 * group);
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
