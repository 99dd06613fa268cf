using System.Runtime.InteropServices;
using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>
/// A Q4_0 or Q8_0 weight matrix rearranged once, when the <see cref="WeightMatrix"/> is created, into tiles of
/// <see cref="Rows"/> = 16 rows so that one 512-bit register holds four consecutive values of the same block
/// of all sixteen rows. The tile kernels (<see cref="TileKernels"/>) then multiply sixteen rows by one token
/// with one broadcast of four activation bytes per register, and reuse each unpacked weight register for
/// several tokens. The rows of a tile are read as one sequential stream, for one token or many.
/// <para>Layout, tile after tile, each tile block after block (one block = 32 columns):</para>
/// <list type="bullet">
/// <item>the sixteen rows' f16 block scales (32 bytes);</item>
/// <item>Q4_0: four groups of 64 bytes; group g holds, for row r, bytes 4g..4g+3 of the row's 16 nibble bytes
/// at 4r..4r+3. Its low nibbles are values 4g..4g+3 of the block, its high nibbles values 16+4g..16+4g+3.</item>
/// <item>Q8_0: eight groups of 64 bytes; group g holds, for row r, values 4g..4g+3 at 4r..4r+3.</item>
/// </list>
/// Rows past the end of the matrix are zero (scale 0) in the last tile.
/// </summary>
internal sealed unsafe class RowTiles : IDisposable
{
    public const int Rows = 16;

    readonly long _bytes;
    byte* _data;

    public GgmlType Type { get; }
    public int Blocks { get; }
    public int TileCount { get; }

    /// <summary>Bytes of one tile block: 32 bytes of scales and the value groups.</summary>
    public int BlockBytes { get; }
    public long TileBytes { get; }

    public static bool Supports(GgmlType type) => type is GgmlType.Q4_0 or GgmlType.Q8_0;

    RowTiles(GgmlType type, int rows, int columns)
    {
        Type = type;
        Blocks = columns / 32;
        TileCount = (rows + Rows - 1) / Rows;
        BlockBytes = type == GgmlType.Q4_0 ? 32 + 4 * 64 : 32 + 8 * 64;
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
        int sourceBlockBytes = Type == GgmlType.Q4_0 ? 18 : 34;
        int groups = Type == GgmlType.Q4_0 ? 4 : 8;
        byte* tile = Tile(t);
        for (int r = 0; r < Rows; r++)
        {
            int row = t * Rows + r;
            if (row >= rows) break; // padding rows stay zero
            byte* sourceRow = source + row * rowBytes;
            for (int b = 0; b < Blocks; b++)
            {
                byte* from = sourceRow + (long)b * sourceBlockBytes;
                byte* to = tile + (long)b * BlockBytes;
                ((ushort*)to)[r] = *(ushort*)from;
                for (int g = 0; g < groups; g++)
                    *(uint*)(to + 32 + 64 * g + 4 * r) = *(uint*)(from + 2 + 4 * g);
            }
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
