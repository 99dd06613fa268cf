using Specula.Tensors;

namespace Specula.Gguf;

/// <summary>One tensor of a GGUF file. <see cref="Dimensions"/> are in ggml order: Dimensions[0] is the
/// length of a row (the contiguous axis), so a [rows x columns] weight matrix has Dimensions = {columns, rows}.
/// <see cref="FileOffset"/> is absolute (data section start + the tensor's relative offset).</summary>
public sealed record GgufTensorInfo(string Name, long[] Dimensions, GgmlType Type, long FileOffset, long ByteSize)
{
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dimensions) n *= d;
            return n;
        }
    }

    /// <summary>Elements in one row (the innermost dimension).</summary>
    public long RowLength => Dimensions.Length == 0 ? 1 : Dimensions[0];

    /// <summary>Number of rows: the product of all dimensions but the first.</summary>
    public long RowCount => RowLength == 0 ? 0 : ElementCount / RowLength;

    public string ShapeText => "[" + string.Join(", ", Dimensions) + "]";
}
