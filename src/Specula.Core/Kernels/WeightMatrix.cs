using Specula.Tensors;

namespace Specula.Kernels;

/// <summary>A [Rows x Columns] weight matrix stored row-major in ggml blocks (each row is Columns elements
/// of <see cref="Type"/>), read in place from the memory-mapped model file.</summary>
public sealed unsafe class WeightMatrix
{
    public string Name { get; }
    public GgmlType Type { get; }
    public int Rows { get; }
    public int Columns { get; }
    public byte* Data { get; }
    public long RowBytes { get; }

    public WeightMatrix(string name, GgmlType type, int rows, int columns, byte* data)
    {
        Name = name;
        Type = type;
        Rows = rows;
        Columns = columns;
        Data = data;
        RowBytes = GgmlTypeInfo.Get(type).RowBytes(columns);
    }

    public ReadOnlySpan<byte> Row(int row) => new(Data + row * RowBytes, checked((int)RowBytes));
}
