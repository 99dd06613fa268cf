using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>A [Rows x Columns] weight matrix stored row-major in ggml blocks (each row is Columns elements
/// of <see cref="Type"/>), read in place from the memory-mapped model file.
/// <para>Q4_0 and Q8_0 matrices are copied once, here, into <see cref="RowTiles"/> (the same bytes rearranged
/// by tiles of 16 rows), which is what the matrix kernels read from then on: <see cref="Data"/> must not
/// change after construction, and the mapped original is not touched again by the kernels.</para></summary>
public sealed unsafe class WeightMatrix
{
    public string Name { get; }
    public GgmlType Type { get; }
    public int Rows { get; }
    public int Columns { get; }
    public byte* Data { get; }
    public long RowBytes { get; }

    /// <summary>The row-tiled copy the kernels use for Q4_0 and Q8_0; null for the other types.</summary>
    internal RowTiles? Tiles { get; }

    /// <summary>F16 or BF16 rows in pair order for the 512-bit kernels (<see cref="HalfPairRows"/>); null for the
    /// other types, without AVX-512, or when an F16 matrix holds an infinity or a NaN.</summary>
    internal HalfPairRows? HalfPairs { get; }

    /// <summary>Whether the kernels read a repacked copy instead of <see cref="Data"/> (on this machine's
    /// widest path), so the caller may release the mapped original's pages.</summary>
    public bool IsRepacked => Tiles != null || HalfPairs != null;

    public WeightMatrix(string name, GgmlType type, int rows, int columns, byte* data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Name = name;
        Type = type;
        Rows = rows;
        Columns = columns;
        Data = data;
        RowBytes = GgmlTypeInfo.Get(type).RowBytes(columns);
        if (RowTiles.Supports(type) && rows > 0)
        {
            ArgumentNullException.ThrowIfNull(data);
            Tiles = RowTiles.Pack(type, rows, columns, data, RowBytes);
        }
        if (HalfPairRows.Supports(type) && rows > 0 && columns > 0)
        {
            ArgumentNullException.ThrowIfNull(data);
            HalfPairs = HalfPairRows.TryPack(type, rows, columns, data, RowBytes);
        }
    }

    public ReadOnlySpan<byte> Row(int row) => new(Data + row * RowBytes, checked((int)RowBytes));
}
